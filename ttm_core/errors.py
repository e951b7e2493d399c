"""One error type for every bad input, so users read *which* input is wrong and *how* to fix it.

ComfyUI shows an exception's message in the node's error panel; a bare traceback from inside
torch tells an artist nothing. Every check in the core raises :class:`TTMInputError`.
"""

from __future__ import annotations


class TTMInputError(ValueError):
    """A user-facing input error: names the input, what is wrong and the fix."""

    def __init__(self, input_name: str, problem: str, fix: str | None = None) -> None:
        self.input_name = input_name
        self.problem = problem
        self.fix = fix
        message = f"{input_name}: {problem}"
        if fix:
            message += f" Fix: {fix}"
        super().__init__(message)


class TTMInterrupted(RuntimeError):
    """Raised when the user interrupts a long run; callers free memory and re-raise their own type."""


def require(condition: bool, input_name: str, problem: str, fix: str | None = None) -> None:
    """Raise :class:`TTMInputError` unless ``condition`` holds."""
    if not condition:
        raise TTMInputError(input_name, problem, fix)
