"""pyzmq's exception names over the core's errno-carrying errors, for every backend.

``ZMQError`` is the core's :class:`SocketError` and ``Again`` its EAGAIN
subclass, so an error raised deep in the core is caught by pyzmq-style code;
``ZMQBaseError`` is the core's base error.
"""

from __future__ import annotations

import errno

from zmtp_core import Again, SocketError, ZMTPError
from zmtp_core.errors import ETERM

__all__ = [
    "Again",
    "ContextTerminated",
    "DraftFDWarning",
    "InterruptedSystemCall",
    "NotDone",
    "ZMQBaseError",
    "ZMQBindError",
    "ZMQError",
    "ZMQVersionError",
]

ZMQBaseError = ZMTPError
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


class InterruptedSystemCall(SocketError, InterruptedError):  # type: ignore[misc]
    """EINTR (pyzmq retries these itself; so do we: kept for ``except`` clauses)."""

    def __init__(self, errno_: int = errno.EINTR, message: str | None = None) -> None:
        super().__init__(errno.EINTR, message)


class ZMQVersionError(ZMTPError):
    """A feature needs a newer library than the one reported by zmq_version()."""

    def __init__(self, min_version: str, msg: str = "Feature") -> None:
        self.min_version = min_version
        self.msg = msg
        super().__init__(f"{msg} requires libzmq >= {min_version}")


class DraftFDWarning(RuntimeWarning):
    """pyzmq warns that a thread-safe draft socket's FD is not a mailbox (no draft here)."""
