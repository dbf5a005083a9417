"""ZAP for zmtp_curio: ``async with CurioAuthenticator(ctx) as auth:`` serves
``inproc://zeromq.zap.01`` in a task of its own while the block runs."""

from __future__ import annotations

import logging
from types import TracebackType
from typing import Any

import curio

from zmtp_transport import auth as _shared
from zmtp_transport.auth import *  # noqa: F403 - pyzmq's zmq.auth names, written once
from zmtp_transport.auth import Authenticator

from .._context import Context

__all__ = ["CurioAuthenticator"]
__all__ += _shared.__all__


class CurioAuthenticator(Authenticator):
    """Answers ZAP requests while its ``async with`` block runs."""

    def __init__(
        self, context: Context, encoding: str = "utf-8", log: logging.Logger | None = None
    ) -> None:
        super().__init__(context, encoding, log)
        self._task: Any = None

    async def __aenter__(self) -> CurioAuthenticator:
        self._task = await curio.spawn(self.serve, self._open_zap_socket())
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self._task.cancel()
        self._close_zap_socket()
