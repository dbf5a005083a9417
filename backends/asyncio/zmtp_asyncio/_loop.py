"""zmtp_transport's Loop and Batcher over an asyncio event loop.

Readiness is ``loop.add_reader``/``add_writer`` on the raw socket (so uvloop
works as well as the default loop), timers are ``loop.call_at``. Batching fits
the loop: messages queued during one iteration are written together by one
``call_soon`` callback, so a burst leaves in one ``sendmsg`` and a lone
message is not delayed past the current iteration; a large message is
written at once.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable
from typing import Any

from zmtp_core import Pipe, counters
from zmtp_transport import Stream

__all__ = ["AsyncioLoop", "IterationBatcher"]

ReadyHandler = Callable[[bool, bool], None]


class AsyncioLoop:
    """Readiness and timers for one zmtp socket, on the running asyncio loop.

    ``after`` runs after every callback, so that coroutines waiting on the
    socket look at it again.
    """

    def __init__(self, after: Callable[[], None]) -> None:
        self._after = after
        self._loop: asyncio.AbstractEventLoop | None = None
        self._watched: dict[int, tuple[bool, bool]] = {}

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        """The event loop this socket lives on: the one running at its first I/O."""
        if self._loop is None:
            try:
                self._loop = asyncio.get_running_loop()
            except RuntimeError:
                raise RuntimeError(
                    "zmtp_asyncio sockets do their I/O on the running event loop: "
                    "bind, connect, send and receive inside a coroutine"
                ) from None
        return self._loop

    def time(self) -> float:
        return self.loop.time()

    def call_at(self, when: float, callback: Callable[[], None]) -> asyncio.TimerHandle:
        return self.loop.call_at(when, self._run, callback)

    def call_soon(self, callback: Callable[[], None]) -> asyncio.Handle:
        return self.loop.call_soon(self._run, callback)

    def watch(self, sock: socket.socket, read: bool, write: bool, handler: ReadyHandler) -> None:
        loop, fd = self.loop, sock.fileno()
        was_read, was_write = self._watched.get(fd, (False, False))
        if read:
            loop.add_reader(fd, self._ready, handler, True, False)  # (replaces the handler)
        elif was_read:
            loop.remove_reader(fd)
        if write:
            loop.add_writer(fd, self._ready, handler, False, True)
        elif was_write:
            loop.remove_writer(fd)
        if read or write:
            self._watched[fd] = (read, write)
        else:
            self._watched.pop(fd, None)

    def release(self, sock: socket.socket) -> None:
        fd = sock.fileno()
        read, write = self._watched.pop(fd, (False, False))
        if read:
            self.loop.remove_reader(fd)
        if write:
            self.loop.remove_writer(fd)
        sock.close()

    def _ready(self, handler: ReadyHandler, readable: bool, writable: bool) -> None:
        handler(readable, writable)
        self._after()

    def _run(self, callback: Callable[[], Any]) -> None:
        callback()
        self._after()


class IterationBatcher:
    """Write what one loop iteration queued with one sendmsg per stream."""

    def __init__(self, loop: AsyncioLoop) -> None:
        self._loop = loop
        self._held: set[Stream] = set()
        self._scheduled = False

    def queued(self, stream: Stream, pipe: Pipe, size: int) -> None:
        stream.batch_bytes += size
        if size >= stream.threshold:
            self._flush(stream, "size")  # a large message is not held back
            return
        self._held.add(stream)
        if not self._scheduled:
            self._scheduled = True
            self._loop.call_soon(self._flush_held)

    def flush_now(self, stream: Stream) -> None:
        if stream in self._held:
            self._flush(stream, None)

    def _flush_held(self) -> None:
        self._scheduled = False
        while self._held:
            self._flush(self._held.pop(), "timeout")

    def _flush(self, stream: Stream, reason: str | None) -> None:
        self._held.discard(stream)
        if counters.enabled and stream.pipe is not None:
            counters.batch_flush_count += 1
            if reason is not None:
                name = f"batch_{reason}_flush_count"
                setattr(counters, name, getattr(counters, name) + 1)
            counters.batch_messages_total += stream.pipe._out_messages
            counters.batch_bytes_total += stream.batch_bytes
        stream.batch_bytes = 0
        if not stream.closed:
            stream.flush()
