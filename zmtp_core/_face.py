"""What every connection of an engine looks like from above: one Protocol.

A :class:`~zmtp_core.connection.Connection` (ZMTP), a ``RawConnection``
(STREAM's raw TCP) and a ``Layer`` over either (TLS, ZWS 2.0) all implement
it; the engine and its links use nothing else of them. The one decoding call
is :meth:`pull`; ``next_event`` is kept for loops that take one event at a time.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from ._events import Event, Frame, NeedData
from ._sendqueue import Buffer, MessageTracker

__all__ = ["ConnectionFace"]


class ConnectionFace(Protocol):
    """Bytes in and out, messages in and out, a timer, an end."""

    # -- bytes in ---------------------------------------------------------------------

    def receive_buffer(self) -> memoryview:
        """Where the next ``recv_into`` writes."""

    def received(self, nbytes: int) -> None:
        """``nbytes`` arrived in the last receive buffer (0: the peer closed)."""

    # -- what arrived -----------------------------------------------------------------

    def pull(self, limit: int) -> tuple[list[list[Frame]], Event | NeedData | None]:
        """Up to ``limit`` whole messages, and what ended the batch (None: the limit)."""

    def next_event(self) -> Event | NeedData:
        """The next event, one at a time (a handshake's, or one message)."""

    # -- what to send -----------------------------------------------------------------

    def send_message(
        self, frames: Sequence[Buffer], *, tracker: MessageTracker | None = None
    ) -> None:
        """Queue one whole message."""

    def send_subscribe(self, topic: bytes) -> None:
        """Queue a SUBSCRIBE (a SUB's or XSUB's)."""

    def send_cancel(self, topic: bytes) -> None:
        """Queue a CANCEL."""

    # -- bytes out --------------------------------------------------------------------

    def buffers_to_send(self) -> list[Buffer]:
        """The scatter list for one ``sendmsg`` (may be empty)."""

    def sent(self, nbytes: int) -> bool:
        """The kernel took ``nbytes`` of that list; False when less than offered."""

    @property
    def bytes_to_send(self) -> int:
        """Bytes queued and not yet written."""

    # -- time and the end ---------------------------------------------------------------

    def handle_timer(self, now: float) -> None:
        """Heartbeats and the handshake's timeout, at the backend's clock."""

    def close(self) -> None:
        """The connection is over; later events say so."""

    def discard_output(self) -> None:
        """Forget what was not written (the OS socket is being closed)."""
