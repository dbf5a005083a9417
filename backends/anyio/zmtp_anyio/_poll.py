"""pyzmq's Poller for zmtp_anyio sockets and plain file descriptors."""

from __future__ import annotations

import contextlib
import math
from typing import Any

import anyio

from zmtp_transport import READY_STREAK, PollerBase
from zmtp_transport.constants import POLLIN, POLLOUT

from ._socket import Socket

__all__ = ["Poller"]


class Poller(PollerBase):
    """``dict(await poller.poll(timeout_ms))``, over zmtp_anyio sockets and file
    descriptors (ints or objects with ``fileno()``)."""

    async def poll(self, timeout: float | None = None) -> list[tuple[Any, int]]:
        """Ready (socket, events) pairs, waiting up to ``timeout`` ms (None or <0: forever)."""
        forever = timeout is None or timeout < 0
        deadline = math.inf if forever else anyio.current_time() + timeout / 1000  # type: ignore[operator]
        if self._streak >= READY_STREAK:  # found ready many times in a row: let others run
            self._streak = 0
            await anyio.lowlevel.checkpoint()
        self._streak += 1
        while True:
            ready = self._ready()
            if ready or anyio.current_time() >= deadline:
                return ready
            waiter = anyio.Event()
            self._streak = 0
            sockets = [sock for sock, _ in self.sockets if isinstance(sock, Socket)]
            for sock in sockets:
                sock._waiters.append(waiter)
            try:
                async with anyio.create_task_group() as watchers:
                    for sock, flags in self.sockets:
                        if not isinstance(sock, Socket):
                            watchers.start_soon(_watch_descriptor, sock, flags, waiter)
                    with anyio.move_on_at(deadline):
                        await waiter.wait()
                    watchers.cancel_scope.cancel()
            finally:
                for sock in sockets:
                    with contextlib.suppress(ValueError):
                        sock._waiters.remove(waiter)


async def _watch_descriptor(obj: Any, flags: int, waiter: anyio.Event) -> None:
    async def wait(ready: Any) -> None:
        await ready(obj)
        waiter.set()

    async with anyio.create_task_group() as both:
        if flags & POLLIN:
            both.start_soon(wait, anyio.wait_readable)
        if flags & POLLOUT:
            both.start_soon(wait, anyio.wait_writable)
