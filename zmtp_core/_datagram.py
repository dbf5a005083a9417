"""udp://: RADIO, DISH and DGRAM, one message per datagram, in libzmq's formats.

A RADIO's datagram is the group's length (one byte), the group, and the body;
a DGRAM's is the body alone, sent to the address its message names and
received with the sender's ("ip:port", NUL-terminated as libzmq makes it).
At most 8192 bytes, the buffer libzmq reads into. There is no handshake, no
JOIN or LEAVE (a DISH filters what arrives by itself) and no end: a
:class:`DatagramConnection` offers the engine what a Connection offers, so
pipes, HWM and LINGER work unchanged. Each :meth:`buffers_to_send` list is one
datagram, for one ``sendmsg`` on a UDP socket (which takes all of it or nothing).
"""

from __future__ import annotations

import ipaddress
from collections import deque
from collections.abc import Sequence

from ._errors import LocalProtocolError
from ._events import Frame
from ._raw import RawConnection
from ._sendqueue import Buffer, MessageTracker
from ._socket_types import SocketType

__all__ = [
    "MAX_DATAGRAM",
    "DatagramConnection",
    "decode_datagram",
    "encode_datagram",
    "parse_address",
]

#: libzmq's MAX_UDP_MSG: what its udp engine reads, and so the most a datagram may hold.
MAX_DATAGRAM = 8192


def encode_datagram(group: Buffer, body: Buffer) -> bytes:
    """One RADIO message as its datagram."""
    group = bytes(group)
    return bytes((len(group),)) + group + bytes(body)


def decode_datagram(data: bytes | bytearray | memoryview) -> list[Frame] | None:
    """``[group, body]``, or None for a datagram too short for the group it announces
    (libzmq ignores those, and so do we)."""
    if not data:
        return None
    end = 1 + data[0]
    if end > len(data):
        return None
    return [bytes(data[1:end]), bytes(data[end:])]


def parse_address(address: Buffer) -> tuple[str, int] | None:
    """A DGRAM message's "ip:port" (IPv4; a NUL at the end allowed), or None if it
    is not one (libzmq drops such a message)."""
    text = bytes(address).rstrip(b"\0").decode("latin-1")
    host, colon, port = text.rpartition(":")
    try:
        number = int(port)
        ipaddress.IPv4Address(host)
    except ValueError:
        return None
    if not colon or not 0 < number < 65536:
        return None
    return host, number


class DatagramConnection(RawConnection):
    """One udp:// endpoint: a RADIO's (sends), a DISH's (receives) or a DGRAM's (both,
    addressed: :meth:`received_from` and :attr:`destination`).

    A :class:`RawConnection` in its life (no handshake, a message per read, no end
    but a local close); its output is datagrams, each kept whole for one ``sendmsg``.
    """

    def __init__(self, socket_type: SocketType) -> None:
        super().__init__(MAX_DATAGRAM)
        self._addressed = socket_type is SocketType.DGRAM
        self._sends = socket_type is SocketType.RADIO or self._addressed
        self._receives = socket_type is not SocketType.RADIO
        self._datagrams: deque[tuple[bytes, tuple[str, int] | None, MessageTracker | None]] = (
            deque()
        )
        self._size = 0
        #: Datagrams dropped: malformed ones in, oversized ones out.
        self.dropped = 0

    # -- bytes in ---------------------------------------------------------------------

    def received(self, nbytes: int) -> None:
        """One datagram of ``nbytes`` (0 is an empty datagram, not an end: UDP has none)."""
        self.received_from(nbytes, None)

    def received_from(self, nbytes: int, source: tuple[str, int] | None) -> None:
        """One datagram of ``nbytes`` from ``source`` (a DGRAM's need: recvfrom)."""
        if not self._receives or self._closed_event is not None:
            return  # (what reaches a RADIO's socket is not for it)
        data = memoryview(self._buffer)[:nbytes]
        message: list[Frame] | None
        if not self._addressed:
            message = decode_datagram(data)
        elif source is None:
            message = None
        else:  # libzmq's form: "ip:port" and a NUL, then the body
            message = [f"{source[0]}:{source[1]}".encode() + b"\0", bytes(data)]
        if message is None:
            self.dropped += 1
        else:
            self._chunks.append(message)

    # -- bytes out --------------------------------------------------------------------

    def send_message(
        self, frames: Sequence[Buffer], *, tracker: MessageTracker | None = None
    ) -> None:
        """A RADIO's ``[group, body]`` or a DGRAM's ``[address, body]``; one larger than
        a datagram, or to no valid address, is dropped."""
        if not self._sends:
            raise LocalProtocolError("a DISH sends nothing over udp")
        first, body = frames
        destination = parse_address(first) if self._addressed else None
        datagram = bytes(body) if self._addressed else encode_datagram(first, body)
        if len(datagram) > MAX_DATAGRAM or (self._addressed and destination is None):
            self.dropped += 1
            if tracker is not None:
                tracker.release(dropped=True)
            return
        self._datagrams.append((datagram, destination, tracker))
        self._size += len(datagram)

    def send_subscribe(self, topic: bytes) -> None:
        """JOIN does not travel over udp: a DISH filters what arrives by itself."""

    def send_cancel(self, topic: bytes) -> None:
        """LEAVE does not travel either."""

    def buffers_to_send(self) -> list[Buffer]:
        return [self._datagrams[0][0]] if self._datagrams else []

    @property
    def destination(self) -> tuple[str, int] | None:
        """Where the next datagram goes: a DGRAM's address; None: the connected peer."""
        return self._datagrams[0][1] if self._datagrams else None

    def sent(self, nbytes: int) -> bool:
        """The datagram went (``nbytes`` > 0), or the kernel had no room (0). (An empty
        datagram counts as sent: 0 bytes is all of it.)"""
        if nbytes == 0 and self._datagrams and self._datagrams[0][0]:
            return False
        datagram, _, tracker = self._datagrams.popleft()
        self._size -= len(datagram)
        if tracker is not None:
            tracker.release()
        return True

    @property
    def bytes_to_send(self) -> int:
        return self._size

    def discard_output(self) -> None:
        for _, _, tracker in self._datagrams:
            if tracker is not None:
                tracker.release(dropped=True)
        self._datagrams.clear()
        self._size = 0
