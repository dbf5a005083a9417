"""zmq.asyncio's Poller: wait for several sockets at once."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from zmtp_transport import READY_STREAK, PollerBase, SocketAPI
from zmtp_transport.constants import EVENTS, POLLIN, POLLOUT

from ._socket import Socket, as_future

__all__ = ["Poller"]


class Poller(PollerBase):
    """``dict(await poller.poll(timeout_ms))``, over zmtp_asyncio sockets, other
    backends' sockets (through their ``FD``: pyzmq's ThreadAuthenticator polls
    blocking sockets so) and file descriptors (ints or objects with ``fileno()``)."""

    def poll(self, timeout: float | None = None) -> asyncio.Future[list[tuple[Any, int]]]:
        """Ready (socket, events) pairs, waiting up to ``timeout`` ms (None or <0: forever):
        a Future, as zmq.asyncio's."""
        return as_future(asyncio.get_running_loop(), self._poll(timeout))

    async def _poll(self, timeout: float | None) -> list[tuple[Any, int]]:
        loop = asyncio.get_running_loop()
        for sock, _ in self.sockets:
            if isinstance(sock, Socket):
                sock._aloop.loop  # noqa: B018 - lives on this loop from now on (its I/O runs)
        if self._streak >= READY_STREAK:  # found ready many times in a row: let others run
            self._streak = 0
            await asyncio.sleep(0)
        self._streak += 1
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
                wanted = flags
                if isinstance(sock, SocketAPI):  # another backend's (a blocking zmq.Socket)
                    sock.getsockopt(EVENTS)  # (lowers its FD: a change from now on raises it)
                    if sock._events() & flags:
                        _settle(waiter)
                    wanted = POLLIN  # (its FD says "look again")
                fd = sock if isinstance(sock, int) else sock.fileno()
                if wanted & POLLIN:
                    loop.add_reader(fd, _settle, waiter)
                if wanted & POLLOUT:
                    loop.add_writer(fd, _settle, waiter)
                watched.append((fd, bool(wanted & POLLIN), bool(wanted & POLLOUT)))
            timer = None if deadline is None else loop.call_at(deadline, _settle, waiter)
            self._streak = 0
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


def _settle(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)
