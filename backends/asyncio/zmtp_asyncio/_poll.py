"""zmq.asyncio's Poller: wait for several sockets at once."""

from __future__ import annotations

import asyncio
import contextlib
import select
from typing import Any

from zmtp_transport.constants import POLLERR, POLLIN, POLLOUT

from ._socket import Socket

__all__ = ["Poller"]


class Poller:
    """``dict(await poller.poll(timeout_ms))``, over zmtp_asyncio sockets and file
    descriptors (ints or objects with ``fileno()``)."""

    def __init__(self) -> None:
        self.sockets: list[tuple[Any, int]] = []

    def register(self, socket: Any, flags: int = POLLIN | POLLOUT) -> None:
        self.unregister(socket)
        if flags:
            self.sockets.append((socket, flags))

    modify = register

    def unregister(self, socket: Any) -> None:
        self.sockets = [(s, f) for s, f in self.sockets if s is not socket]

    def _ready(self) -> list[tuple[Any, int]]:
        found = []
        plain = []
        for sock, flags in self.sockets:
            if isinstance(sock, Socket):
                events = 0 if sock.closed else sock._events() & flags
                if events:
                    found.append((sock, events))
            else:
                plain.append((sock, flags))
        if plain:
            found.extend(_poll_now(plain))
        return found

    async def poll(self, timeout: float | None = None) -> list[tuple[Any, int]]:
        """Ready (socket, events) pairs, waiting up to ``timeout`` ms (None or <0: forever)."""
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None or timeout < 0 else loop.time() + timeout / 1000
        while True:
            ready = self._ready()
            if ready or (deadline is not None and loop.time() >= deadline):
                return ready
            waiter: asyncio.Future[None] = loop.create_future()
            watched: list[tuple[int, bool, bool]] = []
            for sock, flags in self.sockets:
                if isinstance(sock, Socket):
                    sock._waiters.append(waiter)
                    continue
                fd = sock if isinstance(sock, int) else sock.fileno()
                if flags & POLLIN:
                    loop.add_reader(fd, _settle, waiter)
                if flags & POLLOUT:
                    loop.add_writer(fd, _settle, waiter)
                watched.append((fd, bool(flags & POLLIN), bool(flags & POLLOUT)))
            timer = None if deadline is None else loop.call_at(deadline, _settle, waiter)
            try:
                await waiter
            finally:
                if timer is not None:
                    timer.cancel()
                for sock, _ in self.sockets:
                    if isinstance(sock, Socket):
                        with contextlib.suppress(ValueError):
                            sock._waiters.remove(waiter)
                for fd, read, write in watched:
                    if read:
                        loop.remove_reader(fd)
                    if write:
                        loop.remove_writer(fd)


def _poll_now(items: list[tuple[Any, int]]) -> list[tuple[Any, int]]:
    """File descriptors that are ready now (no waiting)."""
    poller = select.poll()
    by_fd = {}
    for obj, flags in items:
        fd = obj if isinstance(obj, int) else obj.fileno()
        mask = (select.POLLIN if flags & POLLIN else 0) | (select.POLLOUT if flags & POLLOUT else 0)
        poller.register(fd, mask)
        by_fd[fd] = obj
    ready = []
    for fd, mask in poller.poll(0):
        events = (POLLIN if mask & select.POLLIN else 0) | (POLLOUT if mask & select.POLLOUT else 0)
        if mask & (select.POLLERR | select.POLLHUP):
            events |= POLLERR
        ready.append((by_fd[fd], events))
    return ready


def _settle(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)
