"""pyzmq's deprecated ``zmq.eventloop.ioloop``: tornado's IOLoop under its old names.

tornado runs on asyncio and zmtp sockets need no special loop, so there is
nothing to install; the names stay for programs written against pyzmq < 17.
"""

from __future__ import annotations

import warnings

from tornado.ioloop import IOLoop

__all__ = ["IOLoop", "ZMQIOLoop", "install"]

warnings.warn(
    "zmtp_selectors.eventloop.ioloop is deprecated, as pyzmq's is: use tornado.ioloop",
    DeprecationWarning,
    stacklevel=2,
)

ZMQIOLoop = IOLoop


def install() -> None:
    """Does nothing (deprecated by pyzmq 17: any tornado loop works)."""
    warnings.warn(
        "zmtp_selectors.eventloop.ioloop.install() is not needed", DeprecationWarning, stacklevel=2
    )
