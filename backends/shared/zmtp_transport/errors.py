"""pyzmq's exception names over the core's errno-carrying errors, for every backend.

``ZMQError`` is the core's :class:`SocketError` and ``Again`` its EAGAIN
subclass, so an error raised deep in the core is caught by pyzmq-style code.
"""

from __future__ import annotations

import errno

from zmtp_core import ETERM, Again, SocketError

__all__ = ["Again", "ContextTerminated", "NotDone", "ZMQBindError", "ZMQError"]

ZMQError = SocketError


class ContextTerminated(SocketError):
    """The context was terminated: ETERM."""

    def __init__(self, message: str = "Context was terminated") -> None:
        super().__init__(ETERM, message)


class NotDone(SocketError):
    """A tracker's wait() timed out before the message was sent."""

    def __init__(self, message: str = "the message is not sent yet") -> None:
        super().__init__(errno.EAGAIN, message)


class ZMQBindError(SocketError):
    """bind_to_random_port() found no free port."""

    def __init__(self, message: str) -> None:
        super().__init__(errno.EADDRINUSE, message)
