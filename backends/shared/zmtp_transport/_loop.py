"""What a backend provides to the shared transport code: readiness, timers, a clock."""

from __future__ import annotations

import socket
from collections.abc import Callable
from typing import Protocol

__all__ = ["Batcher", "Handle", "Loop", "ReadyHandler"]

#: Called with (readable, writable) when a watched socket is ready.
ReadyHandler = Callable[[bool, bool], None]


class Handle(Protocol):
    """A scheduled callback that can be called off."""

    def cancel(self) -> None: ...


class Loop(Protocol):
    """Readiness, timers and a clock, in the backend's own way.

    Callbacks it runs (ready handlers, timers) run with whatever protection the
    backend needs around a zmtp socket (a lock, the event loop's thread).
    """

    def time(self) -> float:
        """The clock deadlines are given in."""
        ...

    def call_at(self, when: float, callback: Callable[[], None]) -> Handle: ...

    def watch(self, sock: socket.socket, read: bool, write: bool, handler: ReadyHandler) -> None:
        """Call ``handler`` when ``sock`` is readable/writable (neither: stop watching)."""
        ...

    def release(self, sock: socket.socket) -> None:
        """Stop watching ``sock`` and close it (once nothing can still report it)."""
        ...

    def settle(self) -> bool:
        """Close what release() has deferred, now; False if nothing was (a bind
        that found its port taken by our own closed listener tries again if True)."""
        ...


class SoonLoop(Loop, Protocol):
    """A coroutine backend's Loop: it also runs callbacks at the end of this turn."""

    def call_soon(self, callback: Callable[[], None]) -> object: ...


class Batcher(Protocol):
    """When to write what the application sent: the backend's batching policy.

    It takes the writes the engine asks for (``Write`` actions) and has the driver carry
    them out (``driver.flush``), at once or later.
    """

    def queued(self, size: int) -> None:
        """The application sent a message of ``size`` bytes."""
        ...

    def flush_now(self) -> None:
        """Write everything held, at once (the application is about to block)."""
        ...
