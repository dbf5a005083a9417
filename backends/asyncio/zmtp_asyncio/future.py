"""pyzmq's ``zmq.eventloop.future``: Future-returning sockets for tornado coroutines.

tornado runs on asyncio and its Futures are asyncio's, so these are
zmtp_asyncio's classes under this module's names: a Context with an
``instance()`` of its own, which takes (and ignores, with pyzmq's warning) the
deprecated ``io_loop`` argument.
"""

from __future__ import annotations

import asyncio
import warnings
from typing import Any, ClassVar

from ._context import Context as _AsyncioContext
from ._poll import Poller
from ._socket import Socket

__all__ = ["CancelledError", "Context", "Poller", "Socket"]

CancelledError = asyncio.CancelledError


class Context(_AsyncioContext):
    """zmtp_asyncio's Context; ``io_loop`` is deprecated and ignored, as in pyzmq."""

    _instance: ClassVar[_AsyncioContext | None] = None  # (not zmq.asyncio's)

    def __init__(self, *args: Any, io_loop: Any = None, **kwargs: Any) -> None:
        if io_loop is not None:
            warnings.warn(
                "Context(io_loop) is deprecated: the running loop is always used",
                DeprecationWarning,
                stacklevel=2,
            )
        super().__init__(*args, **kwargs)
