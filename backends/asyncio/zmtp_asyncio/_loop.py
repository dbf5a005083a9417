"""zmtp_transport's Loop over an asyncio event loop.

Readiness is ``loop.add_reader``/``add_writer`` on the raw socket (so uvloop
works as well as the default loop), timers are ``loop.call_at``, and the
IterationBatcher's end-of-iteration flush is ``loop.call_soon``.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable
from typing import Any

__all__ = ["AsyncioLoop"]

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
