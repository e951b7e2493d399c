"""`PromptPlan`: the user's prompt decomposed into global, motion and per-object prompts.

It is plain JSON so artists can read and edit it in a text widget, and LLM answers are parsed
with the same strict rules (:meth:`PromptPlan.from_dict`).
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from typing import Any

from ..errors import TTMInputError, require
from ._checks import atomic_write_bytes

KEYFRAME_DEFAULTS: dict[str, float] = {"dx": 0.0, "dy": 0.0, "scale": 1.0, "rot": 0.0, "z": 0.0}
EASINGS = ("linear", "ease_in_out")


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TTMInputError(where, f"must be a number, got {value!r}.")
    value = float(value)
    require(math.isfinite(value), where, "must be finite.")
    return value


def normalize_keyframes(frames: Any, where: str) -> list[dict]:
    """Validate one object's keyframes and fill defaults.

    ``t`` is the time in 0..1 over the clip; ``dx``/``dy`` move the centroid by fractions of the
    image width/height (+x right, +y down); ``scale`` and ``rot`` (degrees, positive = clockwise
    on screen, as :mod:`ttm_core.motion.affine` documents) act about the
    centroid; ``z`` orders overlaps (higher is in front); ``ease`` shapes the segment that ends
    at this keyframe.
    """
    require(isinstance(frames, list), where, f"must be a list of keyframes, got {type(frames).__name__}.")
    out: list[dict] = []
    for i, kf in enumerate(frames):
        at = f"{where}[{i}]"
        require(isinstance(kf, dict), at, f"must be an object like {{'t': 1.0, 'dx': 0.2}}, got {kf!r}.")
        unknown = set(kf) - {"t", "ease", *KEYFRAME_DEFAULTS}
        require(not unknown, at, f"unknown keys {sorted(unknown)}.", "use t, dx, dy, scale, rot, z, ease.")
        require("t" in kf, at, "is missing 't' (time in 0..1).")
        t = _number(kf["t"], f"{at}.t")
        require(0.0 <= t <= 1.0, f"{at}.t", f"must be within 0..1 (fraction of the clip), got {t}.")
        item = {"t": t}
        for key, default in KEYFRAME_DEFAULTS.items():
            item[key] = _number(kf.get(key, default), f"{at}.{key}")
        require(item["scale"] > 0, f"{at}.scale", f"must be > 0, got {item['scale']}.")
        ease = kf.get("ease", "linear")
        require(ease in EASINGS, f"{at}.ease", f"must be one of {EASINGS}, got {ease!r}.")
        item["ease"] = ease
        out.append(item)
    times = [k["t"] for k in out]
    require(times == sorted(times), where, f"keyframes must be sorted by t, got {times}.")
    require(len(set(times)) == len(times), where, f"keyframe times must be distinct, got {times}.")
    return out


@dataclass
class PromptPlan:
    """What stage 1 and stage 2 need from the prompt."""

    global_prompt: str
    motion_prompt: str = ""
    local_prompts: dict[str, str] = field(default_factory=dict)
    keyframes: dict[str, list[dict]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        require(isinstance(self.global_prompt, str), "global_prompt", "must be a string.")
        require(self.global_prompt.strip() != "", "global_prompt", "is empty.", "describe the scene.")
        require(isinstance(self.motion_prompt, str), "motion_prompt", "must be a string.")
        require(isinstance(self.local_prompts, dict), "local_prompts", "must map object names to prompts.")
        for name, text in self.local_prompts.items():
            require(isinstance(name, str) and name.strip(), "local_prompts", f"has an invalid object name {name!r}.")
            require(isinstance(text, str), f"local_prompts[{name!r}]", "must be a string.")
        require(isinstance(self.keyframes, dict), "keyframes", "must map object names to keyframe lists.")
        self.keyframes = {n: normalize_keyframes(k, f"keyframes[{n!r}]") for n, k in self.keyframes.items()}
        require(isinstance(self.notes, list), "notes", "must be a list of strings.")
        self.notes = [str(n) for n in self.notes]

    # ---- checks against the objects -----------------------------------------------------------
    def check_names(self, names: list[str], input_name: str = "prompts") -> None:
        """Every per-object entry must name a known object (a typo would silently do nothing)."""
        for what, mapping in (("local_prompts", self.local_prompts), ("keyframes", self.keyframes)):
            unknown = sorted(set(mapping) - set(names))
            require(
                not unknown,
                input_name,
                f"{what} mention {unknown}, which are not among the objects {names}.",
                "rename them to match the segmentation names.",
            )

    # ---- JSON ------------------------------------------------------------------------------
    def to_dict(self) -> dict:
        return {
            "global_prompt": self.global_prompt,
            "motion_prompt": self.motion_prompt,
            "local_prompts": dict(self.local_prompts),
            "keyframes": {n: [dict(k) for k in ks] for n, ks in self.keyframes.items()},
            "notes": list(self.notes),
        }

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)

    @classmethod
    def from_dict(cls, data: Any, input_name: str = "plan") -> "PromptPlan":
        """Strict parse: unknown keys and wrong types are errors, never silently dropped."""
        require(isinstance(data, dict), input_name, f"must be a JSON object, got {type(data).__name__}.")
        allowed = {"global_prompt", "motion_prompt", "local_prompts", "keyframes", "notes"}
        unknown = sorted(set(data) - allowed)
        require(not unknown, input_name, f"has unknown keys {unknown}.", f"use only {sorted(allowed)}.")
        require("global_prompt" in data, input_name, "is missing 'global_prompt'.")
        return cls(
            global_prompt=data["global_prompt"],
            motion_prompt=data.get("motion_prompt", ""),
            local_prompts=data.get("local_prompts", {}) or {},
            keyframes=data.get("keyframes", {}) or {},
            notes=data.get("notes", []) or [],
        )

    @classmethod
    def from_json(cls, text: str, input_name: str = "plan_json") -> "PromptPlan":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise TTMInputError(input_name, f"is not valid JSON ({exc.msg} at line {exc.lineno}).") from exc
        return cls.from_dict(data, input_name)

    def save(self, path: str | os.PathLike) -> None:
        data = self.to_json().encode("utf-8")
        atomic_write_bytes(path, lambda tmp: open(tmp, "wb").write(data))

    @classmethod
    def load(cls, path: str | os.PathLike) -> "PromptPlan":
        with open(path, encoding="utf-8") as f:
            return cls.from_json(f.read(), str(path))
