"""pyzmq's ``zmq.auth.asyncio``, as ``zmtp_asyncio.auth``: the ZAP handler as a
task on the running loop."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import warnings
from typing import Any

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
    "AsyncioAuthenticator",
    "Authenticator",
    "IOLoopAuthenticator",
    "create_certificates",
    "load_certificate",
    "load_certificates",
]


class AsyncioAuthenticator(Authenticator):
    """Answers ZAP requests in a task of the running loop, from ``start()`` to ``stop()``."""

    def __init__(
        self,
        context: Context | None = None,
        loop: asyncio.AbstractEventLoop | None = None,
        encoding: str = "utf-8",
        log: logging.Logger | None = None,
    ) -> None:
        super().__init__(context or Context.instance(), encoding, log)
        self.zap_socket: Socket | None = None
        self._task: asyncio.Future[None] | None = None

    def start(self) -> None:
        """Bind ``inproc://zeromq.zap.01`` and serve it (call it inside the loop)."""
        self.zap_socket = self.context.socket(REP)
        self.zap_socket.linger = 1
        self.zap_socket.bind(ZAP_ENDPOINT)
        self._task = asyncio.ensure_future(self.serve(self.zap_socket))

    def stop(self) -> None:
        """Stop serving and free the ZAP endpoint."""
        if self._task is not None:
            self._task.cancel()
            self._task = None
        if self.zap_socket is not None:
            with contextlib.suppress(Exception):
                self.zap_socket.close(linger=0)
            self.zap_socket = None


class IOLoopAuthenticator(AsyncioAuthenticator):
    """pyzmq's ``zmq.auth.ioloop`` name (deprecated there): tornado's loop is asyncio's."""

    def __init__(
        self,
        context: Context | None = None,
        encoding: str = "utf-8",
        log: logging.Logger | None = None,
        io_loop: Any = None,
    ) -> None:
        if io_loop is not None:
            warnings.warn(
                "IOLoopAuthenticator(io_loop) is deprecated and ignored",
                DeprecationWarning,
                stacklevel=2,
            )
        super().__init__(context, encoding=encoding, log=log)
