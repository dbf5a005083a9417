"""The Socket: zmq.asyncio's API - the same calls as pyzmq's, awaited."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import TYPE_CHECKING

from zmtp_core import SocketType
from zmtp_transport import AsyncMessageTracker, AsyncSocketAPI, Driver, IterationBatcher
from zmtp_transport._api import EndpointContext

from ._loop import AsyncioLoop

if TYPE_CHECKING:
    from ._context import Context

__all__ = ["MessageTracker", "Socket"]

MessageTracker = AsyncMessageTracker


class Socket(AsyncSocketAPI):
    """A ZeroMQ socket whose waiting calls are coroutines (one event loop at a time).

    A cancelled receive loses nothing: a message leaves the socket only in the
    step that returns it. A cancelled send queued its whole message or none of
    it. Waiting coroutines hold one future each, dropped when they return or
    are cancelled.
    """

    _poller_name = "zmtp_asyncio.Poller"

    def __init__(self, context: Context, socket_type: SocketType | int) -> None:
        loop = AsyncioLoop(after=self._wake)
        super().__init__(
            context,
            socket_type,
            lock=contextlib.nullcontext(),
            loop=loop,
            batcher=lambda driver: IterationBatcher(
                driver, loop.call_soon, threshold=_threshold(driver), lone_leaves_at_once=True
            ),
            wake=self._wake,
        )
        self._aloop = loop
        self._waiters: list[asyncio.Future[None]] = []
        self._inproc.waiting = 1  # (an inproc delivery always calls _wake: it looks itself)

    def bind(self, addr: str) -> EndpointContext:
        self._aloop.loop  # noqa: B018 - fails clearly, before a socket is opened
        return super().bind(addr)

    def connect(self, addr: str) -> EndpointContext:
        self._aloop.loop  # noqa: B018 - fails clearly, before a pipe is attached
        return super().connect(addr)

    def _wake(self) -> None:
        """Something happened on the socket: waiting coroutines look again."""
        if self._waiters:
            waiters, self._waiters = self._waiters, []
            for waiter in waiters:
                if not waiter.done():
                    waiter.set_result(None)

    async def _until(self, condition: Callable[[], bool], timeout_ms: int) -> bool:
        loop = self._aloop.loop
        deadline = None if timeout_ms < 0 else loop.time() + timeout_ms / 1000
        while not condition():
            self._check_open()
            if deadline is not None and loop.time() >= deadline:
                return False
            waiter: asyncio.Future[None] = loop.create_future()
            self._waiters.append(waiter)
            timer = None if deadline is None else loop.call_at(deadline, _settle, waiter)
            try:
                await waiter
            finally:
                if timer is not None:
                    timer.cancel()
                with contextlib.suppress(ValueError):
                    self._waiters.remove(waiter)  # (cancelled: nothing must stay behind)
        self._check_open()
        return True


def _threshold(driver: Driver) -> int:
    return int(driver.engine.options["ZMTP_ZEROCOPY_THRESHOLD"])


def _settle(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)
