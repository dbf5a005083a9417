"""What a backend provides to the shared transport code."""

from __future__ import annotations

import socket
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from zmtp_core import Pipe, SocketBase

if TYPE_CHECKING:
    from ._stream import Stream

__all__ = ["Batcher", "Handle", "Loop", "Owner"]

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


class Batcher(Protocol):
    """When to write what the application queued: the backend's batching policy."""

    def queued(self, stream: Stream, pipe: Pipe, size: int) -> None:
        """A message of ``size`` bytes was queued for ``stream`` (ready, kernel not full)."""
        ...

    def flush_now(self, stream: Stream) -> None:
        """Write what is held, at once (the application is about to block)."""
        ...


class Owner:
    """What the transport code needs from one zmtp socket."""

    __slots__ = ("batcher", "core", "loop", "paused", "stream_closed", "streams")

    def __init__(
        self, core: SocketBase, loop: Loop, batcher: Batcher, stream_closed: Callable[[], None]
    ) -> None:
        self.core = core
        self.loop = loop
        self.batcher = batcher
        #: Called after any stream of this socket closed (for LINGER bookkeeping).
        self.stream_closed = stream_closed
        self.streams: set[Stream] = set()
        #: Streams that stopped reading because their pipe is at RCVHWM.
        self.paused: set[Stream] = set()
