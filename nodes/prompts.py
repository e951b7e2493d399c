"""Prompt node: the user's prompt split into global, motion and per-object prompts."""

from __future__ import annotations

from ._base import CATEGORY, LLM, OBJECTS, PROMPTS, boolean, node_inputs, socket, text


def plan_preview(plan) -> str:
    """Readable summary shown on the node: prompts, keyframes and any fallback notes."""
    lines = [f"global: {plan.global_prompt}", f"motion: {plan.motion_prompt or '-'}"]
    for name, local in plan.local_prompts.items():
        lines.append(f"{name}: {local}")
    for name, frames in plan.keyframes.items():
        last = frames[-1] if frames else {}
        moves = ", ".join(f"{k}={last[k]:+.2f}" for k in ("dx", "dy") if last.get(k))
        extra = ", ".join(f"{k}={last[k]:g}" for k in ("scale", "rot") if k in last and last[k] != (1.0 if k == "scale" else 0.0))
        lines.append(f"{name} moves: {moves or 'stays'}{'; ' + extra if extra else ''} ({len(frames)} keyframes)")
    lines += [f"note: {n}" for n in plan.notes]
    return "\n".join(lines)


class TTMDecomposePrompt:
    DESCRIPTION = (
        "Splits the prompt into a global prompt, a motion-only prompt, one local prompt per object "
        "and per-object motion keyframes (for plan-mode motion). Uses the LLM when one is connected, "
        "the offline rules otherwise; a JSON plan in manual_plan is used as is."
    )
    CATEGORY = f"{CATEGORY}/prompts"
    RETURN_TYPES = (PROMPTS, "STRING")
    RETURN_NAMES = ("prompts", "plan_json")
    FUNCTION = "decompose"

    @classmethod
    def INPUT_TYPES(cls):
        return {
            "required": {
                "objects": socket(OBJECTS, "The segmented objects; their names are what the prompt refers to."),
                "prompt": text("What happens in the video, naming the objects (e.g. the dog runs to the right while the ball rolls left).",
                               "", True),
                "manual_plan": text(
                    "Optional JSON plan used instead of decomposing: {\"global_prompt\": ..., \"motion_prompt\": ..., "
                    "\"local_prompts\": {name: ...}, \"keyframes\": {name: [{\"t\": 1, \"dx\": 0.3}]}}. Empty: decompose the prompt.",
                    "", True),
                "llm_fallback": boolean(True, "When the LLM is down or answers nonsense (after one retry), use the offline rules and say so in the plan; off: stop with the error."),
            },
            "optional": {
                "llm": socket(LLM, "Optional LLM from TTM Load LLM; without it the offline rules decompose the prompt."),
            },
        }

    def decompose(self, objects, prompt, manual_plan, llm_fallback, llm=None):
        from ..ttm_core import prompts as core

        names = list(objects.names)
        with node_inputs({"text": "manual_plan", "plan": "manual_plan", "plan_json": "manual_plan"}):
            if manual_plan and manual_plan.strip():
                plan = core.parse_manual_plan(manual_plan, names)
            else:
                plan = core.decompose_prompt(prompt, names, backend=llm, fallback=bool(llm_fallback))
        preview = plan_preview(plan)
        return {"ui": {"text": [preview]}, "result": (plan, plan.to_json())}


NODE_CLASS_MAPPINGS = {"TTMDecomposePrompt": TTMDecomposePrompt}
NODE_DISPLAY_NAME_MAPPINGS = {"TTMDecomposePrompt": "TTM Decompose Prompt"}
