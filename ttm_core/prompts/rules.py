"""The offline decomposer: needs no model, so a graph always runs even with no LLM set up.

It finds each object's clauses in the prompt (names, plurals, synonyms, pronouns, "while",
"and then"...), keeps their text as the object's local prompt, turns their verbs and direction
words into keyframes, and writes a motion-only prompt from what it recognised.
"""

from __future__ import annotations

import math
import re

from ..errors import TTMInputError, require
from ..types import PromptPlan
from ..types._checks import check_names
from . import lexicon as lx
from .motion import KEYS, Motion, analyse, combine, plural_phrase
from .text import (Clause, ObjectMatcher, assign_subjects, lemma, name_words, noun_phrase, predicate_text, split_clauses,
                   tokenize)

_DEFAULT_NAME = re.compile(r"^object[_ ]?\d+$")


def check_prompt(prompt: object, input_name: str = "prompt") -> str:
    require(isinstance(prompt, str), input_name, f"must be text, got {type(prompt).__name__}.",
            "connect a text prompt (STRING).")
    text = " ".join(str(prompt).split())
    require(text != "", input_name, "is empty.", "describe what moves, e.g. 'the dog runs to the right'.")
    return text


def _keyframes(phase_motions: list[Motion | None]) -> list[dict]:
    """Sequence the per-phase motions over t in 0..1, each phase an equal share of the clip."""
    count = max(1, len(phase_motions))
    state = dict.fromkeys(KEYS, 0.0)
    frames: list[tuple[float, dict]] = [(0.0, dict(state))]

    def put(t: float, values: dict) -> None:
        if abs(frames[-1][0] - t) < 1e-9:
            frames[-1] = (t, values)
        else:
            frames.append((t, values))

    for p, motion in enumerate(phase_motions):
        if motion is None or not motion.moves:
            continue
        put(p / count, dict(state))  # hold still until this phase starts
        for u, _ in motion.track:
            d = motion.at(u)
            put((p + u) / count, {k: state[k] + d[k] for k in KEYS})
        end = motion.at(1.0)
        state = {k: state[k] + end[k] for k in KEYS}
    if frames[-1][0] < 1.0:
        put(1.0, dict(state))
    return [
        {"t": round(t, 4), "dx": round(v["dx"], 4), "dy": round(v["dy"], 4),
         "scale": round(math.exp(v["lscale"]), 4), "rot": round(v["rot"], 3), "z": round(v["z"], 3)}
        for t, v in frames
    ]


def _clause_motion(clause: Clause, heading: int = 0) -> Motion:
    words = [t.lower for t in clause.predicate if t.lower.isalnum() or "'" in t.lower]
    return analyse(words, [t.verb for t in clause.predicate if t.verb], heading)


_SKIP = lx.DETERMINERS | lx.APPEARANCE | {"her", "his", "its", "their"}


def _ends_noun_phrase(pred: list, j: int) -> bool:
    """Nothing a possessive could own starts at ``j``: the end, a preposition, "and" or a verb."""
    nxt = pred[j] if j < len(pred) else None
    return nxt is None or nxt.lower in lx.PREPOSITIONS or nxt.lower == "and" or bool(nxt.verb)


def _manner_adverb(token) -> bool:
    """"quickly", "closely", "fast": how a verb is done (an -ly adjective is told apart by what follows)."""
    word = token.lower
    return not token.mentions and (word in lx.MANNER_ADVERBS or (len(word) > 3 and word.endswith("ly")))


def _object_her(pred: list, i: int) -> bool:
    """"chases her (quickly) (to the left)": an object pronoun; "walks her (lovely) dog": a possessive, skipped."""
    if pred[i].lower != "her":
        return False
    # past the end _ends_noun_phrase is True, so pred[i + 1] exists on the right of the "or"
    return _ends_noun_phrase(pred, i + 1) or (_manner_adverb(pred[i + 1]) and _ends_noun_phrase(pred, i + 2))


def _skippable(pred: list, i: int) -> bool:
    """A determiner or adjective before the object's name; an -ly word counts when a name or
    another modifier follows it ("walks her lovely dog", "chases quickly the cat")."""
    if pred[i].lower in _SKIP:
        return True
    nxt = pred[i + 1] if i + 1 < len(pred) else None
    return _manner_adverb(pred[i]) and nxt is not None and (bool(nxt.mentions) or nxt.lower in _SKIP)


def _direct_objects(clause: Clause, start: int, previous: list[str]) -> list[str]:
    """Objects named right after position ``start`` (determiners/adjectives skipped)."""
    pred = clause.predicate
    i = start
    while i < len(pred) and _skippable(pred, i) and not pred[i].mentions and not _object_her(pred, i):
        i += 1
    if i >= len(pred):
        return []
    if pred[i].mentions:
        return list(pred[i].mentions)
    if pred[i].pronoun in ("singular", "plural") and pred[i].lower in ("it", "them", "him", "her"):
        return [n for n in previous if n not in clause.subjects]
    return []


def _links(clauses: list[Clause], names: list[str]) -> list[tuple[str, Clause, list[str]]]:
    """("follow" | "carry", clause, targets): "chases the cat", "runs after it", "walks her dog"."""
    out = []
    previous: list[str] = []
    for clause in clauses:
        for i, t in enumerate(clause.predicate):
            kind = None
            if t.verb and t.verb[1] in lx.FOLLOW or t.lower == "after":
                kind = "follow"
            elif t.verb and t.verb[1] in lx.CARRY:
                kind = "carry"
            targets = [n for n in _direct_objects(clause, i + 1, previous) if n not in clause.subjects] if kind else []
            if targets and clause.subjects:
                out.append((kind, clause, targets))
        if clause.subjects:
            previous = clause.subjects
    return out


def _translation(motion: Motion | None) -> tuple[float, float]:
    if motion is None:
        return 0.0, 0.0
    end = motion.at(1.0)
    return end["dx"], end["dy"]


def _apply_links(links, per_object, motions, phase_index) -> tuple[list[str], dict[int, list[str]]]:
    """Chased/carried objects without a clause move along; a follower without a direction copies it.

    Returns the notes and, per clause (by id) whose followers took their direction from the
    leaders, those leaders: that clause's own "names no direction" note no longer holds.
    """
    notes, led = [], {}
    for kind, clause, targets in links:
        i = phase_index[clause.phase]
        dx, dy = _translation(motions[id(clause)])
        for target in targets:
            lonely = all(m is None for m in per_object[target])
            if lonely and (dx or dy):
                per_object[target][i] = Motion([(1.0, {"dx": dx, "dy": dy})], moves=True)
                notes.append(f"'{target}' moves along with {clause.subjects} ({kind}).")
        if kind == "follow" and not (dx or dy):
            tx = sum(_translation(m)[0] for t in targets for m in per_object[t]) / len(targets)
            ty = sum(_translation(m)[1] for t in targets for m in per_object[t]) / len(targets)
            if tx or ty:
                led[id(clause)] = targets
                for follower in clause.subjects:  # its own motion in this phase is at least this clause's
                    extra = Motion([(1.0, {"dx": tx, "dy": ty})], moves=True)
                    per_object[follower][i] = combine([per_object[follower][i], extra])
                    notes.append(f"'{follower}' follows {targets} in the same direction.")
    return notes, led


def _led_phrase(phrase: str, leaders: list[str] | None) -> str:
    """"chases" -> "chases the dog" and "runs" -> "runs after the dog", when the follower's
    direction is the leader's."""
    if not leaders:
        return phrase
    after = "" if lx.base_of_third_person(phrase.partition(" ")[0]) in lx.FOLLOW else " after"
    return phrase + after + " " + " and ".join(f"the {t.replace('_', ' ')}" for t in leaders)


def _is_singular(word: str) -> bool:
    return lemma(word) == word.lower()


def _singular_name(name: str) -> bool:
    """"dog", "red_car": singular; "birds": plural (by the name's head word)."""
    return _is_singular(name_words(name)[-1])


def _singular_object(clauses: list[Clause], name: str) -> bool:
    """Whether the object is named in the singular where it is a subject ("the dog", not "two dogs").

    Falls back to the object's name when a pronoun or an inherited subject is all it has.
    """
    for c in clauses:
        own = [t for t in c.tokens[: c.subject_end] if name in t.mentions]
        if own:
            return _is_singular(own[0].lower)
    return _singular_name(name)


def _conjugate(text: str, clause: Clause, singular: bool) -> str:
    """"The dog and the cat run": the dog "runs" (a plural noun like "birds" keeps "fly")."""
    pred = clause.predicate
    if not (clause.plural_subject and singular and pred and pred[0].verb and pred[0].lower == pred[0].verb[1]):
        return text
    return lx.third_person(pred[0].lower) + text[len(pred[0].text):]


class RuleBasedDecomposer:
    """``decompose(prompt, names) -> PromptPlan``, deterministic and offline."""

    label = "rule-based decomposer"

    def decompose(self, prompt: str, names: list[str]) -> PromptPlan:
        text = check_prompt(prompt)
        names = check_names(list(names or []), None, "names")
        matcher = ObjectMatcher(names)
        tokens = tokenize(text, matcher)
        clauses = split_clauses(tokens)
        assign_subjects(clauses, names)
        mentioned = {n for t in tokens for n in t.mentions}
        user_named = [n for n in names if not _DEFAULT_NAME.match(n)]
        if len(names) > 1 and user_named and not mentioned:
            raise TTMInputError(
                "names",
                f"none of the objects {names} is mentioned in the prompt {text!r}.",
                "name the objects after words in the prompt (e.g. 'dog'), mention them in the prompt, "
                "or write the plan by hand (manual JSON).",
            )
        phases = sorted({c.phase for c in clauses if c.subjects})
        phase_index = {p: i for i, p in enumerate(phases)}
        motions, heading = {}, {}
        for c in clauses:  # in order, so a clause knows where its subject last headed
            m = _clause_motion(c, next((heading[n] for n in c.subjects if heading.get(n)), 0))
            motions[id(c)] = m
            if m.heading:
                heading.update(dict.fromkeys(c.subjects, m.heading))
        notes = ["Decomposed by the offline rule-based parser (no LLM)."]
        per_object: dict[str, list[Motion | None]] = {}
        for name in names:
            per_phase: list[Motion | None] = [None] * len(phases)
            for c in clauses:
                if name in c.subjects:
                    i, m = phase_index[c.phase], motions[id(c)]
                    per_phase[i] = m if per_phase[i] is None else combine([per_phase[i], m])
            per_object[name] = per_phase
        link_notes, led = _apply_links(_links(clauses, names), per_object, motions, phase_index)
        local, sentences = {}, []
        for name in names:
            own = [c for c in clauses if name in c.subjects]
            display = name.replace("_", " ")
            if not own:
                if not _DEFAULT_NAME.match(name):
                    local[name] = display
                continue
            if name not in mentioned:
                notes.append(f"'{name}' is not named in the prompt; its motion was taken from the prompt as a whole.")
            notes += [f"'{name}': {n}" for c in own if id(c) not in led for n in motions[id(c)].notes]
            local[name] = self._local_prompt(text, name, own)
            phrases = [(c.phase, _led_phrase(motions[id(c)].phrase, led.get(id(c)))) for c in own
                       if motions[id(c)].phrase]
            if phrases:
                out = phrases[0][1]
                for (prev, _), (phase, phrase) in zip(phrases, phrases[1:]):
                    out += (", then " if phase != prev else " and ") + phrase
                sentences.append(f"the {display} {out if _singular_name(name) else plural_phrase(out)}")
        notes += link_notes
        for name in names:
            if all(m is None or not m.moves for m in per_object[name]) and not any(name in c.subjects for c in clauses):
                why = ("has no action of its own in the prompt" if name in mentioned
                       else "is not mentioned in the prompt")
                notes.append(f"'{name}' {why}: it stays still.")
        keyframes = {name: _keyframes(per_object[name]) for name in names}
        motion_prompt = ". ".join(s[0].upper() + s[1:] for s in sentences) + ("." if sentences else "")
        return PromptPlan(text, motion_prompt, local, keyframes, notes)

    @staticmethod
    def _local_prompt(text: str, name: str, clauses: list[Clause]) -> str:
        np = next((p for c in clauses if (p := noun_phrase(text, c, name))), None) or f"the {name.replace('_', ' ')}"
        singular = _singular_object(clauses, name)
        out, prev = np, None
        for c in clauses:
            pred = _conjugate(predicate_text(text, c), c, singular).strip(" ,")
            if not pred:
                continue
            if prev is None:
                out += " " + pred
            else:
                out += (", then " if c.phase != prev else " and ") + pred
            prev = c.phase
        return out[:1].upper() + out[1:]  # a sentence, even when the object's words sat mid-sentence
