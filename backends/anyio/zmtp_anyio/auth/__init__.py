"""ZAP for zmtp_anyio: ``async with AnyioAuthenticator(ctx) as auth:`` serves
``inproc://zeromq.zap.01`` in a task of its own block (anyio's idiom for
pyzmq's start/stop)."""

from __future__ import annotations

from typing import Any

import anyio

from zmtp_transport import auth as _shared
from zmtp_transport.auth import *  # noqa: F403 - pyzmq's zmq.auth names, written once
from zmtp_transport.auth import Authenticator

__all__ = ["AnyioAuthenticator"]
__all__ += _shared.__all__


class AnyioAuthenticator(Authenticator):
    """Answers ZAP requests while its ``async with`` block runs (configure it
    before or inside the block)."""

    async def __aenter__(self) -> AnyioAuthenticator:
        zap = self._open_zap_socket()
        self._server = anyio.create_task_group()
        await self._server.__aenter__()
        self._server.start_soon(self.serve, zap)
        return self

    async def __aexit__(self, *exc_info: Any) -> bool | None:
        self._server.cancel_scope.cancel()
        try:
            return bool(await self._server.__aexit__(*exc_info))
        finally:
            self._close_zap_socket()
