"""pyzmq's ``allow_interrupt``: a Windows console hook, harmless elsewhere.

zmtp waits in Python, so CTRL-C interrupts a blocking call on every platform;
the context manager is kept so that programs written for pyzmq run unchanged.
"""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType

__all__ = ["allow_interrupt"]


class allow_interrupt:
    """Calls nothing and changes nothing: a blocking zmtp call already sees CTRL-C."""

    def __init__(self, action: Callable[[], object] | None = None) -> None:
        self.action = action

    def __enter__(self) -> allow_interrupt:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        return None
