"""The Context: sockets that share an event loop, and the inproc names among them."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from typing import Any

from zmtp_transport import ContextBase

from ._socket import Socket

__all__ = ["Context"]


class Context(ContextBase[Socket]):
    """zmq.asyncio's Context. Closing is immediate; ``async with`` (or ``await
    ctx.wait_closed()``) also waits until every lingering message has left."""

    _instance_lock = threading.Lock()
    _socket_class = Socket

    def __init__(self, io_threads: Any = 1, *, shadow: Any = None, **kwargs: Any) -> None:
        if self._shadows(io_threads, shadow):
            return
        super().__init__(io_threads)
        self._linger_waiters: list[asyncio.Future[None]] = []

    def _attach(self, loop: asyncio.AbstractEventLoop) -> None:
        """A socket of this context was first used on ``loop``: so are the others that
        were made before any loop ran (a PULL that connected, waiting for its peer's
        first call: libzmq's I/O thread would be connecting it already)."""
        for sock in list(self._sockets):
            if sock._aloop._loop is None and not sock.closed:
                sock._aloop.loop  # noqa: B018 - (attaches it, and starts what it asked for)

    def _lingering_over(self) -> None:
        waiters, self._linger_waiters = self._linger_waiters, []
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)

    async def wait_closed(self) -> None:
        """Wait until no socket of this context has anything left to send."""
        while self._lingering:
            waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._linger_waiters.append(waiter)
            try:
                await waiter
            finally:
                with contextlib.suppress(ValueError):
                    self._linger_waiters.remove(waiter)

    def __enter__(self) -> Context:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._destroy_left_open()

    async def __aenter__(self) -> Context:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self.destroy()
        await self.wait_closed()
