"""zmtp_transport's Loop over an asyncio event loop.

Readiness is ``loop.add_reader``/``add_writer`` on the raw socket (so uvloop
works as well as the default loop), timers are ``loop.call_at``, and the
IterationBatcher's end-of-iteration flush is ``loop.call_soon``.

A socket may be made, bound and connected before any loop runs (pyzmq's users
do that): until then what it asks of the loop is kept, and done on the loop
that is running when the socket is first used.
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Callable
from typing import Any

__all__ = ["AsyncioLoop"]

ReadyHandler = Callable[[bool, bool], None]


class _Later:
    """A timer or callback asked for before the loop was known: cancellable alike."""

    __slots__ = ("cancelled", "handle")

    def __init__(self) -> None:
        self.cancelled = False
        self.handle: asyncio.Handle | None = None

    def cancel(self) -> None:
        self.cancelled = True
        if self.handle is not None:
            self.handle.cancel()


class AsyncioLoop:
    """Readiness and timers for one zmtp socket, on the asyncio loop it lives on.

    ``after`` runs after every callback, so that coroutines waiting on the
    socket look at it again.
    """

    def __init__(self, after: Callable[[], None], moved: Callable[[], None] | None = None) -> None:
        """``moved`` is called when the socket moves to a new loop (see :meth:`_move`)."""
        self._after = after
        self._moved = moved
        self._loop: asyncio.AbstractEventLoop | None = None
        self._watched: dict[int, tuple[bool, bool, ReadyHandler]] = {}
        self._pending: list[Callable[[asyncio.AbstractEventLoop], None]] = []

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        """The event loop this socket lives on: the one running at its first use
        (or the one running since that one was closed)."""
        loop = self._loop
        if loop is not None and loop.is_closed():
            return self._move(loop)
        if loop is None:
            try:
                loop = self._loop = asyncio.get_running_loop()
            except RuntimeError:
                raise RuntimeError(
                    "zmtp_asyncio sockets wait on the running event loop: "
                    "await them inside a coroutine"
                ) from None
            pending, self._pending = self._pending, []
            for operation in pending:
                operation(loop)
        return loop

    def _move(self, closed: asyncio.AbstractEventLoop) -> asyncio.AbstractEventLoop:
        """The loop this socket lived on was closed and another one runs (a program
        that calls ``asyncio.run()`` again, as pyzmq lets it): watch from that one.
        Timers and callbacks died with the old loop; ``moved`` sets them again."""
        loop = asyncio._get_running_loop()
        if loop is None:
            return closed  # (nothing to move to: the caller finds the loop closed)
        self._loop = loop
        for fd, (read, write, handler) in self._watched.items():
            if read:
                loop.add_reader(fd, self._ready, handler, True, False)
            if write:
                loop.add_writer(fd, self._ready, handler, False, True)
        if self._moved is not None:
            self._moved()
        return loop

    def _running(self) -> asyncio.AbstractEventLoop | None:
        """The socket's loop, attaching to the running one; None before any runs."""
        if self._loop is None:
            try:
                asyncio.get_running_loop()
            except RuntimeError:
                return None
        return self.loop

    def time(self) -> float:
        loop = self._running()
        return time.monotonic() if loop is None else loop.time()

    def call_at(self, when: float, callback: Callable[[], None]) -> asyncio.Handle | _Later:
        loop = self._running()
        if loop is not None:
            return loop.call_at(when, self._run, callback)
        later, delay = _Later(), when - time.monotonic()

        def start(loop: asyncio.AbstractEventLoop) -> None:
            if not later.cancelled:
                later.handle = loop.call_at(loop.time() + delay, self._run, callback)

        self._pending.append(start)
        return later

    def call_soon(self, callback: Callable[[], None]) -> asyncio.Handle | _Later:
        loop = self._running()
        if loop is not None:
            return loop.call_soon(self._run, callback)
        later = _Later()

        def start(loop: asyncio.AbstractEventLoop) -> None:
            if not later.cancelled:
                later.handle = loop.call_soon(self._run, callback)

        self._pending.append(start)
        return later

    def watch(self, sock: socket.socket, read: bool, write: bool, handler: ReadyHandler) -> None:
        loop = self._running()
        if loop is None:

            def start(_: asyncio.AbstractEventLoop) -> None:
                if sock.fileno() != -1:  # (not released meanwhile)
                    self.watch(sock, read, write, handler)

            self._pending.append(start)
            return
        fd = sock.fileno()
        was_read, was_write, _ = self._watched.get(fd, (False, False, handler))
        if read:
            loop.add_reader(fd, self._ready, handler, True, False)  # (replaces the handler)
        elif was_read:
            loop.remove_reader(fd)
        if write:
            loop.add_writer(fd, self._ready, handler, False, True)
        elif was_write:
            loop.remove_writer(fd)
        if read or write:
            self._watched[fd] = (read, write, handler)
        else:
            self._watched.pop(fd, None)

    def settle(self) -> bool:
        return False  # (release() closes at once)

    def release(self, sock: socket.socket) -> None:
        if self._loop is None:  # (never watched for real)
            sock.close()
            return
        fd = sock.fileno()
        read, write, _ = self._watched.pop(fd, (False, False, None))
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
