"""The Socket: pyzmq's calls, awaited, cancelled by anyio's cancel scopes."""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

import anyio

from zmtp_core import SocketType
from zmtp_transport import AsyncMessageTracker, AsyncSocketAPI, IterationBatcher, SocketAPI, weakly

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

    def __init__(
        self,
        context: Context | SocketAPI | int | None = None,
        socket_type: SocketType | int = 0,
        copy_threshold: int | None = None,
        *,
        shadow: Any = None,
    ) -> None:
        """pyzmq's signature: ``Socket(context, type)``, or a shadow of another
        socket: ``Socket(sock)``, ``Socket(shadow=sock.underlying)``."""
        if self._shadows(context, socket_type, shadow):
            return
        context = cast("Context", context)
        wake = weakly(self._wake)
        loop = AnyioLoop(context._scheduler, context._spawn, after=wake)
        super().__init__(
            context,
            socket_type,
            lock=contextlib.nullcontext(),
            loop=loop,
            batcher=lambda driver: IterationBatcher(
                driver,
                loop.call_soon,
                threshold=int(driver.engine.options["ZMTP_ZEROCOPY_THRESHOLD"]),
                lone_leaves_at_once=True,
            ),
            wake=wake,
            copy_threshold=copy_threshold,
        )
        self._waiters: list[anyio.Event] = []
        self._inproc.waiting = 1  # (an inproc delivery always calls _wake: it looks itself)

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

    async def _until(self, condition: Callable[[], bool], timeout_ms: int) -> bool:
        deadline = math.inf if timeout_ms < 0 else anyio.current_time() + timeout_ms / 1000
        while not condition():
            self._check_open()
            if deadline != math.inf and anyio.current_time() >= deadline:
                return False
            waiter = anyio.Event()
            self._waiters.append(waiter)
            try:
                if deadline == math.inf:
                    await waiter.wait()
                else:
                    with anyio.move_on_at(deadline):
                        await waiter.wait()
            finally:
                with contextlib.suppress(ValueError):
                    self._waiters.remove(waiter)  # (cancelled: nothing must stay behind)
        self._check_open()
        return True
