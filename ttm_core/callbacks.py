"""Progress and interrupt hooks shared by every long-running core function.

The core never imports ComfyUI: a node passes ``progress(done, total)`` (which drives ComfyUI's
progress bar) and ``interrupt()``. ``interrupt`` may raise its own exception (ComfyUI's
``throw_exception_if_processing_interrupted`` does, and ComfyUI then reports "interrupted"
rather than an error) or return True, in which case :class:`TTMInterrupted` is raised.
"""

from __future__ import annotations

from typing import Callable, Optional

from .errors import TTMInterrupted

ProgressFn = Callable[[int, int], None]
InterruptFn = Callable[[], Optional[bool]]


def check_interrupt(interrupt: InterruptFn | None) -> None:
    """Call at safe points (between steps/frames); raises when the user asked to stop."""
    if interrupt is not None and interrupt():
        raise TTMInterrupted("interrupted by the user")


def report(progress: ProgressFn | None, done: int, total: int) -> None:
    if progress is not None:
        progress(int(done), int(total))
