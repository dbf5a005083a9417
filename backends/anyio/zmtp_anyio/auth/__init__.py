"""ZAP for zmtp_anyio: ``async with AnyioAuthenticator(ctx) as auth:`` serves
``inproc://zeromq.zap.01`` in a task of its own block (anyio's idiom for
pyzmq's start/stop)."""

from __future__ import annotations

import logging
from types import TracebackType
from typing import Any

import anyio

from zmtp_transport.auth import (
    CURVE_ALLOW_ANY,
    Authenticator,
    create_certificates,
    load_certificate,
    load_certificates,
)
from zmtp_transport.auth.base import ZAP_ENDPOINT
from zmtp_transport.constants import REP

from .._context import Context
from .._socket import Socket

__all__ = [
    "CURVE_ALLOW_ANY",
    "AnyioAuthenticator",
    "Authenticator",
    "create_certificates",
    "load_certificate",
    "load_certificates",
]


class AnyioAuthenticator(Authenticator):
    """Answers ZAP requests while its ``async with`` block runs (configure it
    before or inside the block)."""

    def __init__(
        self, context: Context, encoding: str = "utf-8", log: logging.Logger | None = None
    ) -> None:
        super().__init__(context, encoding, log)
        self.zap_socket: Socket | None = None
        self._tasks: Any = None

    async def __aenter__(self) -> AnyioAuthenticator:
        zap = self.zap_socket = self.context.socket(REP)
        zap.linger = 0
        zap.bind(ZAP_ENDPOINT)
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
            if self.zap_socket is not None:
                self.zap_socket.close(linger=0)
                self.zap_socket = None
