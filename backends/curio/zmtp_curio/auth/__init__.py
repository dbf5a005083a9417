"""ZAP for zmtp_curio: ``async with CurioAuthenticator(ctx) as auth:`` serves
``inproc://zeromq.zap.01`` in a task of its own while the block runs."""

from __future__ import annotations

from typing import Any

import curio

from zmtp_transport import auth as _shared
from zmtp_transport.auth import *  # noqa: F403 - pyzmq's zmq.auth names, written once
from zmtp_transport.auth import Authenticator

__all__ = ["CurioAuthenticator"]
__all__ += _shared.__all__


class CurioAuthenticator(Authenticator):
    """Answers ZAP requests while its ``async with`` block runs."""

    async def __aenter__(self) -> CurioAuthenticator:
        self._server = await curio.spawn(self.serve, self._open_zap_socket())
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        await self._server.cancel()
        self._close_zap_socket()
