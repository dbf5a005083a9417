"""The Socket: pyzmq's calls, awaited under curio, cancelled by curio's timeouts."""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import curio
from curio.sched import SchedBarrier
from curio.traps import _read_wait

from zmtp_transport import AsyncMessageTracker, AsyncSocketAPI, SocketAPI

from ._loop import CurioLoop

if TYPE_CHECKING:
    from ._context import Context

__all__ = ["MessageTracker", "Socket"]

MessageTracker = AsyncMessageTracker


class Socket(AsyncSocketAPI):
    """A ZeroMQ socket of an entered Context, used from that Context's curio kernel.

    A receive cancelled by ``curio.timeout_after`` (or a task cancellation)
    loses nothing: a message leaves the socket only in the step that returns
    it. A cancelled send queued its whole message or none of it. ``async with
    sock:`` closes it.
    """

    def _new_loop(self, context: Context, wake: Callable[[], None]) -> CurioLoop:
        self._deferred = context._deferred
        #: Barriers of the tasks waiting on this socket (a Poller's too).
        self._waiters: list[SchedBarrier] = []
        return CurioLoop(context._scheduler, context._readiness, after=wake)

    def _wake(self) -> None:
        """Something happened on the socket: waiting tasks look again (soon)."""
        if self._waiters:
            waiters, self._waiters = self._waiters, []
            for barrier in waiters:
                self._deferred.wake(barrier)

    def _adopt(self, original: SocketAPI) -> None:
        super()._adopt(original)
        self.__dict__["_waiters"] = []
        self.__dict__["_deferred"] = _NothingDeferred()  # (the original's backend does the work)

    async def _fd_readable(self, fd: int, timeout: float | None) -> None:
        if timeout is None:
            await _read_wait(fd)
        else:
            async with curio.ignore_after(timeout):
                await _read_wait(fd)

    async def _yield(self) -> None:
        await curio.sleep(0)

    def _clock(self) -> float:
        return time.monotonic()

    async def _park(self, deadline: float) -> None:
        barrier = SchedBarrier()
        self._waiters.append(barrier)
        try:
            if deadline == math.inf:
                await barrier.suspend()
            else:
                async with curio.ignore_after(max(0.0, deadline - time.monotonic())):
                    await barrier.suspend()
        finally:
            with contextlib.suppress(ValueError):
                self._waiters.remove(barrier)  # (cancelled: nothing must stay behind)

    # The synchronous steps of awaited calls: a flush point follows each (_settle).
    _settles = True

    async def _settle(self) -> None:
        if self._deferred.pending:
            async with curio.disable_cancellation():  # (the message was taken or queued)
                await self._deferred.flush()

    def _try_send(self, frames: Any, tracker: Any) -> bool:
        self._deferred.holding += 1
        try:
            return super()._try_send(frames, tracker)
        finally:
            self._deferred.holding -= 1

    def _try_recv(self) -> list[Any] | None:
        self._deferred.holding += 1
        try:
            return super()._try_recv()
        finally:
            self._deferred.holding -= 1


class _NothingDeferred:
    """A view's stand-in for the Deferred of curio sockets: what the view's calls
    ask for is done by the original's backend, so nothing waits here."""

    holding = 0
    pending = False

    async def flush(self) -> None:
        pass
