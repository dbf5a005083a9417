"""ZAP for zmtp_curio: ``async with CurioAuthenticator(ctx) as auth:`` serves
``inproc://zeromq.zap.01`` in a task of its own while the block runs."""

from __future__ import annotations

import logging
from types import TracebackType
from typing import Any

import curio

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
    "Authenticator",
    "CurioAuthenticator",
    "create_certificates",
    "load_certificate",
    "load_certificates",
]


class CurioAuthenticator(Authenticator):
    """Answers ZAP requests while its ``async with`` block runs."""

    def __init__(
        self, context: Context, encoding: str = "utf-8", log: logging.Logger | None = None
    ) -> None:
        super().__init__(context, encoding, log)
        self.zap_socket: Socket | None = None
        self._task: Any = None

    async def __aenter__(self) -> CurioAuthenticator:
        zap = self.zap_socket = self.context.socket(REP)
        zap.linger = 0
        zap.bind(ZAP_ENDPOINT)
        self._task = await curio.spawn(self.serve, zap)
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self._task.cancel()
        if self.zap_socket is not None:
            self.zap_socket.close(linger=0)
            self.zap_socket = None
