"""What a predicate ("runs quickly to the left", "jumps", "grows") does to an object's mask.

A predicate becomes a :class:`Motion`: a piecewise-linear track over local time ``u`` in 0..1
(displacement in fractions of the image, rotation in degrees, depth ``z``, log-scale) plus a
canonical motion-only phrase for the motion prompt. Conventions follow ``normalize_keyframes``:
+x right, +y down; positive ``rot`` turns clockwise on screen.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from . import lexicon as lx

STEP_X = 0.35  # a walk "to the right" crosses about a third of the frame
STEP_Y = 0.25
EXIT = 1.2  # leaves the frame completely, even from the far side
JUMP = 0.15
GROW, SHRINK = 1.6, 0.6
KEYS = ("dx", "dy", "rot", "z", "lscale")

_LEFT = re.compile(r"\b(left|leftward|leftwards|westward|westwards)\b")
_RIGHT = re.compile(r"\bright(?!\s+(away|now|next|behind|after|before|there|here|into|at|in front))\b"
                    r"|\b(rightward|rightwards|eastward|eastwards)\b")
_FROM_LEFT = re.compile(r"\bfrom (the )?left\b")
_FROM_RIGHT = re.compile(r"\bfrom (the )?right\b")
_UP = re.compile(r"\b(up|upward|upwards|upper|skyward|skywards|uphill|higher)\b|\binto the (sky|air)\b")
_DOWN = re.compile(r"\b(down|downward|downwards|lower|downhill)\b|\bto the (ground|floor|bottom)\b")
_NOT_VERTICAL = re.compile(r"\b(slows?|slowing|calms?|calming|gives?|giving|settles?|settling|wakes?|waking|woke"
                           r"|picks?|picking|shows?|showing|lights?|lighting|cheers?|cheering|lines?|lining"
                           r"|looks?|looking|glances?|glancing) (down|up)\b")
_CLOSER = re.compile(r"\b(towards?|to|at|into) (the )?(camera|viewer|lens|us|screen|foreground)\b"
                     r"|\b(closer|nearer|forward|forwards)\b|\bzooms? in\b")
_AWAY = re.compile(r"\baway from (the )?(camera|viewer|us|lens)\b|\binto the (distance|background)\b"
                   r"|\b(further|farther) away\b|\b(recedes?|receding|backwards?|retreats?)\b")
_AWAY_WEAK = re.compile(r"\baway\b")
_EXIT = re.compile(r"\b(out of|off|leaves?|leaving|exits?|exiting)\b( \w+){0,3} "
                   r"(frame|screen|view|shot|picture|scene)\b"
                   r"|\boff ?screen\b|\boffscreen\b")
_TAKEOFF = re.compile(r"\b(takes?|taking|took|lifts?|lifting|blasts?|blasting) off\b")
_CIRCLE = re.compile(r"\bin (a )?circles?\b|\baround in circles?\b")
_BIGGER = re.compile(r"\b(gets?|getting|becomes?|becoming|grows?|growing) (bigger|larger)\b|\bscales? up\b")
_SMALLER = re.compile(r"\b(gets?|getting|becomes?|becoming) smaller\b|\bscales? down\b")
_SLOW = re.compile(r"\b(slowly|gently|gradually|slightly|a little|a bit|leisurely)\b")
_FAST = re.compile(r"\b(quickly|fast|rapidly|swiftly|speedily|at full speed|far)\b")
_STILL_WORDS = re.compile(r"\b(still|motionless|stationary|static|frozen)\b")
# a negated motion verb: the object stays, whatever verb the negation names
_NOT_MOVING = re.compile(r"\b(not|never|no longer|doesn't|don't|didn't) "
                         r"(move|moves|moving|budge|budges|go|goes|run|runs|walk|walks)\b")


@dataclass
class Motion:
    track: list[tuple[float, dict[str, float]]] = field(default_factory=list)  # (u, deltas)
    phrase: str = ""
    notes: list[str] = field(default_factory=list)
    moves: bool = False
    heading: int = 0  # horizontal direction this motion faces or goes (-1, 0, +1)

    def at(self, u: float) -> dict[str, float]:
        """Deltas at local time ``u`` (linear between breakpoints, 0 before the first)."""
        pts = [(0.0, dict.fromkeys(KEYS, 0.0))] + self.track
        for (u0, a), (u1, b) in zip(pts, pts[1:]):
            if u <= u1:
                w = 0.0 if u1 == u0 else (u - u0) / (u1 - u0)
                return {k: a.get(k, 0.0) + w * (b.get(k, 0.0) - a.get(k, 0.0)) for k in KEYS}
        return {k: pts[-1][1].get(k, 0.0) for k in KEYS}

    def breakpoints(self) -> list[float]:
        return [u for u, _ in self.track]


def combine(motions: list[Motion]) -> Motion:
    """Concurrent motions add up (runs to the right while jumping = translation + arc)."""
    us = sorted({u for m in motions for u in m.breakpoints()} | {1.0})
    track = [(u, {k: sum(m.at(u)[k] for m in motions) for k in KEYS}) for u in us]
    return Motion(track, " and ".join(m.phrase for m in motions if m.phrase),
                  [n for m in motions for n in m.notes], any(m.moves for m in motions),
                  next((m.heading for m in reversed(motions) if m.heading), 0))


def _line(**end: float) -> list[tuple[float, dict]]:
    return [(1.0, end)]


def _arcs(count: int, height: float) -> list[tuple[float, dict]]:
    out = []
    for i in range(count):
        out += [((i + 0.5) / count, {"dy": -height}), ((i + 1.0) / count, {"dy": 0.0})]
    return out


def _wiggle(amp: float = 8.0, count: int = 3) -> list[tuple[float, dict]]:
    out = []
    for i in range(count):
        out += [((i + 0.25) / count, {"rot": amp}), ((i + 0.75) / count, {"rot": -amp}),
                ((i + 1.0) / count, {"rot": 0.0})]
    return out


def _circle(radius: float = 0.12, steps: int = 8) -> list[tuple[float, dict]]:
    return [(k / steps, {"dx": radius * math.sin(2 * math.pi * k / steps),
                         "dy": radius * (math.cos(2 * math.pi * k / steps) - 1.0)}) for k in range(1, steps + 1)]


def _direction_words(text: str) -> tuple[int, int, int]:
    """(horizontal, vertical, depth) signs named in the text; depth +1 = towards the camera."""
    if _FROM_LEFT.search(text) and not _FROM_RIGHT.search(text):
        h = 1  # "from left to right", "enters from the left"
    elif _FROM_RIGHT.search(text):
        h = -1
    else:
        h = (1 if _RIGHT.search(text) else 0) - (1 if _LEFT.search(text) else 0)
    cleaned = _NOT_VERTICAL.sub(" ", text)
    v = (1 if _DOWN.search(cleaned) else 0) - (1 if _UP.search(cleaned) else 0)
    d = 1 if _CLOSER.search(text) else -1 if (_AWAY.search(text) or (_AWAY_WEAK.search(text) and not h)) else 0
    return h, v, d


def _phrase(verb: str | None, h: int, v: int, d: int, exits: bool, speed: str) -> str:
    parts = []
    if exits:
        side = ("to the right" if h > 0 else "to the left" if h < 0 else
                "upwards" if v < 0 else "downwards" if v > 0 else "")
        return " ".join(w for w in [verb or "moves", speed, "out of the frame", side] if w)
    if v:
        parts.append("upwards" if v < 0 else "downwards")
    if h:
        parts.append("to the right" if h > 0 else "to the left")
    if d:
        parts.append("towards the camera" if d > 0 else "away from the camera")
    words = [verb or "moves"] + ([speed] if speed else []) + [" and ".join(parts)] if parts else [verb or ""]
    return " ".join(w for w in words if w)


def plural_phrase(phrase: str) -> str:
    """A motion phrase for a plural subject: "runs to the right, then jumps" -> "run ..., then jump".

    Phrases are built in the third person singular; each verb that starts a part (after ", then "
    or " and ") goes back to its base.
    """
    parts = re.split(r"(, then | and )", phrase)
    out = []
    for part in parts:
        first, _, rest = part.partition(" ")
        base = lx.base_of_third_person(first)
        out.append(part if base is None else base + (" " + rest if rest else ""))
    return "".join(out)


def analyse(words: list[str], verbs: list[tuple[str, str]], heading: int = 0) -> Motion:
    """Motion of one predicate given its lower-case words and its (group, base) verbs.

    ``heading`` is the side the object faced or went last ("turns to the left and walks out of
    the frame" leaves to the left).
    """
    text = " ".join(words)
    groups = [g for g, _ in verbs]
    bases = [b for _, b in verbs]
    if any(g == "gaze" for g in groups) and not any(g not in ("gaze", "other", "still") for g in groups):
        return Motion(phrase="")  # "looks up", "stares to the left": no motion of the object
    h, v, d = _direction_words(text)
    exits = bool(_EXIT.search(text)) or "exit" in groups
    # "turns to the left", "barks to the left": faces that way; "is carried out of the frame" leaves
    if groups and all(g in ("turn", "other") for g in groups) and h and not exits:
        return Motion(phrase=f"turns to the {'right' if h > 0 else 'left'}", heading=h)
    speed_word = (_SLOW.search(text) or _FAST.search(text))
    speed = 0.5 if _SLOW.search(text) else 1.5 if _FAST.search(text) else 1.0
    motion_verbs = [(g, b) for g, b in verbs if g not in ("other", "gaze")]
    verb = lx.third_person(motion_verbs[0][1]) if motion_verbs else None
    still = _NOT_MOVING.search(text) or ("still" in groups or _STILL_WORDS.search(text)) and not any(
        g in ("locomotion", "jump", "fall", "rise", "spin", "exit", "approach", "circle") for g in groups)
    if still:
        return Motion(phrase="stays still")
    parts: list[Motion] = []
    end: dict[str, float] = {}
    if "fall" in groups and v == 0:
        v = 1
    if _TAKEOFF.search(text) and v == 0:
        v = -1
        verb = verb if verb and verb not in ("takes", "lifts") else "takes off"
    if "rise" in groups and v == 0:
        v = -1
    if "approach" in groups and d == 0:
        d = 1
    notes = []
    if exits and not (h or v):
        h = heading or 1
        if not heading:
            notes.append("leaving the frame without a side: assumed to the right (edit its keyframes to change).")
    if not (h or v or d) and heading and any(g == "locomotion" for g in groups):
        h = heading
    if h:
        end["dx"] = h * (EXIT if exits else STEP_X * speed)
    if v:
        end["dy"] = v * (EXIT if exits and not h else STEP_Y * speed)
    if d:
        end["lscale"] = math.log(GROW if d > 0 else SHRINK)
        end["z"] = float(d)
    if end:
        parts.append(Motion(_line(**end), _phrase(verb, h, v, d, exits, speed_word.group(0) if speed_word else ""),
                            notes, moves=True))
    if "jump" in groups:
        bounce = "bounce" in bases
        parts.append(Motion(_arcs(3 if bounce else 1, JUMP * (0.7 if bounce else 1.0)),
                            "" if end else lx.third_person(bases[groups.index("jump")]), moves=True))
    if "spin" in groups or "roll" in bases:
        sign = -1.0 if h < 0 else 1.0
        spin_verb = next((b for g, b in verbs if g == "spin" or b == "roll"), "spin")
        parts.append(Motion(_line(rot=360.0 * sign), "" if end else lx.third_person(spin_verb), moves=True))
    if "grow" in groups or _BIGGER.search(text):
        parts.append(Motion(_line(lscale=math.log(GROW)), "grows", moves=True))
    elif "shrink" in groups or _SMALLER.search(text):
        parts.append(Motion(_line(lscale=math.log(SHRINK)), "shrinks", moves=True))
    if "circle" in groups or _CIRCLE.search(text):
        parts.append(Motion(_circle(), "moves in a circle", moves=True))
    if "wiggle" in groups and not parts:
        base = bases[groups.index("wiggle")]
        parts.append(Motion(_wiggle(), lx.third_person(base), moves=True))
    if not parts:
        if motion_verbs:
            note = f"'{verb}' names no direction, so it stays in place (add 'to the left/right' or edit its keyframes)."
            return Motion(phrase=verb or "", notes=[note])
        return Motion()
    out = combine(parts) if len(parts) > 1 else parts[0]
    out.heading = h
    return out
