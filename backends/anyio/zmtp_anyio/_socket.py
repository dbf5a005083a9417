"""The Socket: pyzmq's calls, awaited, cancelled by anyio's cancel scopes."""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable
from typing import TYPE_CHECKING

import anyio

from zmtp_transport import AsyncMessageTracker, AsyncSocketAPI, SocketAPI

from ._loop import AnyioLoop

if TYPE_CHECKING:
    from ._context import Context

__all__ = ["MessageTracker", "Socket"]

MessageTracker = AsyncMessageTracker


class Socket(AsyncSocketAPI):
    """A ZeroMQ socket of a running Context, used from that Context's event loop.

    A receive cancelled by a cancel scope (``anyio.fail_after``, a task group
    cancelled) loses nothing: a message leaves the socket only in the step
    that returns it. A cancelled send queued its whole message or none of it.
    ``async with sock:`` closes it.
    """

    def _new_loop(self, context: Context, wake: Callable[[], None]) -> AnyioLoop:
        self._waiters: list[anyio.Event] = []
        return AnyioLoop(context._scheduler, context._spawn, after=wake)

    def _wake(self) -> None:
        """Something happened on the socket: waiting tasks look again."""
        if self._waiters:
            waiters, self._waiters = self._waiters, []
            for waiter in waiters:
                waiter.set()

    def _adopt(self, original: SocketAPI) -> None:
        super()._adopt(original)
        self.__dict__["_waiters"] = []

    async def _fd_readable(self, fd: int, timeout: float | None) -> None:
        with anyio.move_on_after(math.inf if timeout is None else timeout):
            await anyio.wait_readable(fd)

    async def _yield(self) -> None:
        await anyio.lowlevel.checkpoint()

    def _clock(self) -> float:
        return anyio.current_time()

    async def _park(self, deadline: float) -> None:
        waiter = anyio.Event()
        self._waiters.append(waiter)
        try:
            with anyio.move_on_at(deadline):
                await waiter.wait()
        finally:
            with contextlib.suppress(ValueError):
                self._waiters.remove(waiter)  # (cancelled: nothing must stay behind)
