"""LLM stand-ins for the decomposer tests: answers come from a list, in order, and every request
is kept, so a test can say what the model was asked and how often."""

from __future__ import annotations

PLAN = {"global_prompt": "a dog runs", "motion_prompt": "the dog runs right", "local_prompts": {"dog": "a dog"}}


class ScriptedBackend:
    """``complete`` only: no ``label``, ``unload_after`` or ``release`` (subclasses add them)."""

    def __init__(self, answers):
        self.answers = list(answers)
        self.asked = []
        self.released = 0

    def complete(self, messages):
        self.asked.append(messages)
        return self.answers.pop(0)

    def count_release(self):
        self.released += 1
