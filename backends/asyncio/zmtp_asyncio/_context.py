"""The Context: sockets that share an event loop, and the inproc names among them."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import weakref
from typing import Any, ClassVar

from zmtp_core import SocketType
from zmtp_transport import InprocRegistry
from zmtp_transport.errors import ContextTerminated

from ._socket import Socket

__all__ = ["Context"]


class Context:
    """zmq.asyncio's Context. Closing is immediate; ``async with`` (or ``await
    ctx.wait_closed()``) also waits until every lingering message has left."""

    _instance: ClassVar[Context | None] = None
    _instance_lock = threading.Lock()

    def __init__(self, io_threads: int = 1, **kwargs: Any) -> None:
        self._sockets: weakref.WeakSet[Socket] = weakref.WeakSet()
        self._lingering: set[Socket] = set()
        self._terminated = False
        self._inproc = InprocRegistry(contextlib.nullcontext)
        self._linger_waiters: list[asyncio.Future[None]] = []

    @classmethod
    def instance(cls, io_threads: int = 1) -> Context:
        """The process-wide shared context (created on first use)."""
        with cls._instance_lock:
            if cls._instance is None or cls._instance.closed:
                cls._instance = cls(io_threads)
            return cls._instance

    @property
    def closed(self) -> bool:
        return self._terminated

    def socket(self, socket_type: SocketType | int, **kwargs: Any) -> Socket:
        if self._terminated:
            raise ContextTerminated()
        sock = Socket(self, socket_type)
        self._sockets.add(sock)
        return sock

    def _socket_closed(self, sock: Socket) -> None:
        sock._wake()

    def _socket_finished(self, sock: Socket) -> None:
        sock._wake()
        if not self._lingering:
            waiters, self._linger_waiters = self._linger_waiters, []
            for waiter in waiters:
                if not waiter.done():
                    waiter.set_result(None)

    def term(self) -> None:
        """Terminate: calls waiting on open sockets fail with ETERM; lingering
        sockets go on sending while the event loop runs (see wait_closed())."""
        if self._terminated:
            return
        self._terminated = True
        for sock in list(self._sockets):
            sock._wake()

    def destroy(self, linger: int | None = None) -> None:
        """Close every socket (with ``linger`` if given), then term()."""
        for sock in list(self._sockets):
            if not sock.closed:
                sock.close(linger=linger)
        self.term()

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
        self.destroy()

    async def __aenter__(self) -> Context:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self.destroy()
        await self.wait_closed()

    def __repr__(self) -> str:
        return f"<zmtp_asyncio.Context {'terminated' if self._terminated else 'open'}>"
