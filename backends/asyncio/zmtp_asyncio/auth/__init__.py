"""pyzmq's ``zmq.auth.asyncio``, as ``zmtp_asyncio.auth``: the ZAP handler as a
task on the running loop."""

from __future__ import annotations

import asyncio
import logging
import warnings
from typing import Any

from zmtp_transport import auth as _shared
from zmtp_transport.auth import *  # noqa: F403 - pyzmq's zmq.auth names, written once
from zmtp_transport.auth import Authenticator

from .._context import Context

__all__ = ["AsyncioAuthenticator", "IOLoopAuthenticator"]
__all__ += _shared.__all__


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

    def start(self) -> None:
        """Bind ``inproc://zeromq.zap.01`` and serve it (call it inside the loop)."""
        self._server = asyncio.ensure_future(self.serve(self._open_zap_socket()))

    def stop(self) -> None:
        """Stop serving and free the ZAP endpoint."""
        if self._server is not None:
            self._server.cancel()
            self._server = None
        self._close_zap_socket()


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
