"""The two ways a connection can go wrong, kept apart as h11 does.

A :class:`LocalProtocolError` is our own caller's mistake (sending before the
handshake, reporting more bytes written than were offered): it is raised at
once and leaves the connection as it was. A :class:`RemoteProtocolError` is the
peer's fault: it never escapes :meth:`Connection.next_event`; it ends that one
connection and travels inside the :class:`ConnectionClosed` event.
"""

from __future__ import annotations

__all__ = ["LocalProtocolError", "RemoteProtocolError", "ZMTPError"]


class ZMTPError(Exception):
    """Base class of every error the core raises."""


class LocalProtocolError(ZMTPError):
    """The application (or backend) used the connection in a way ZMTP forbids."""


class RemoteProtocolError(ZMTPError):
    """The peer broke the protocol; the connection is closed.

    ``error_reason`` is set when ZMTP wants the peer told why, with an ERROR
    command (libzmq does that only for rejected authentication).
    """

    def __init__(self, message: str, *, error_reason: bytes | None = None) -> None:
        super().__init__(message)
        self.error_reason = error_reason
