"""ZAP for zmtp_anyio: ``async with AnyioAuthenticator(ctx) as auth:`` serves
``inproc://zeromq.zap.01`` in a task of its own block (anyio's idiom for
pyzmq's start/stop)."""

from __future__ import annotations

import logging
from types import TracebackType
from typing import Any

import anyio

from zmtp_transport import auth as _shared
from zmtp_transport.auth import *  # noqa: F403 - pyzmq's zmq.auth names, written once
from zmtp_transport.auth import Authenticator

from .._context import Context

__all__ = ["AnyioAuthenticator"]
__all__ += _shared.__all__


class AnyioAuthenticator(Authenticator):
    """Answers ZAP requests while its ``async with`` block runs (configure it
    before or inside the block)."""

    def __init__(
        self, context: Context, encoding: str = "utf-8", log: logging.Logger | None = None
    ) -> None:
        super().__init__(context, encoding, log)
        self._tasks: Any = None

    async def __aenter__(self) -> AnyioAuthenticator:
        zap = self._open_zap_socket()
        self._tasks = anyio.create_task_group()
        await self._tasks.__aenter__()
        self._tasks.start_soon(self.serve, zap)
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> bool | None:
        self._tasks.cancel_scope.cancel()
        try:
            return bool(await self._tasks.__aexit__(kind, error, traceback))
        finally:
            self._close_zap_socket()
