"""Outgoing ZWS 2.0: each ZeroMQ frame as one WebSocket message, in the send queue.

:class:`ZwsSendQueue` is a :class:`~zmtp_core._sendqueue.SendQueue` that writes
a WebSocket header and the ZWS flags byte where ZMTP writes its frame header;
everything else (coalescing, pinning, partial writes, trackers) is the base
class's. A server's large body goes by reference, as over tcp. A client must
mask what it sends, so its bodies are copied once, masked in one pass.

Heartbeats are WebSocket pings, as libzmq sends them; the reader
(:mod:`._wsreader`) answers the peer's pings and close through
:meth:`ZwsSendQueue.add_pong` and :meth:`ZwsSendQueue.add_close`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from . import _commands as cmd
from ._counters import counters
from ._sendqueue import Buffer, MessageTracker, SendQueue, _byte_view
from ._wsframes import (
    BINARY,
    CLOSE,
    FIN,
    MASKED,
    PING,
    PONG,
    ZWS_COMMAND,
    MaskKeys,
    encode_header,
    mask,
    mask_in_place,
)

__all__ = ["ZwsSendQueue"]

_PING_COMMAND = cmd.encode_command(cmd.PING)
# A server's headers for short frames (payload = flags byte + body <= 125 bytes),
# with the flags byte: queueing one calls no function for its header.
_SHORT = 124
_LAST = [bytes((0x80 | BINARY, size + 1, 0)) for size in range(_SHORT + 1)]
_MORE = [bytes((0x80 | BINARY, size + 1, 1)) for size in range(_SHORT + 1)]


class ZwsSendQueue(SendQueue):
    """Frames waiting to be written as ZWS 2.0, in order; ``masked`` on a client."""

    __slots__ = ("_farewell", "_keys", "_pong_end")

    def __init__(
        self,
        zerocopy_threshold: int | None = 8192,
        *,
        random_bytes: Callable[[int], bytes] | None = None,
    ) -> None:
        """``random_bytes`` (a client's): the source of masking keys; None: a server's queue."""
        super().__init__(zerocopy_threshold)
        self._keys = None if random_bytes is None else MaskKeys(random_bytes)
        self._pong_end = 0  # where our last pong ends in the stream
        #: A close frame and where it starts in the stream: kept when the rest is discarded.
        self._farewell: tuple[int, bytes] = (0, b"")

    @property
    def masked(self) -> bool:
        return self._keys is not None

    def add_frames(self, frames: Sequence[Buffer], tracker: MessageTracker | None = None) -> None:
        """Queue one message: the ZWS flag MORE on every frame but the last."""
        if self._keys is not None:
            self._add_masked(frames)
        else:
            self._add_unmasked(frames)
        if tracker is not None:
            self.track(tracker)

    def _add_unmasked(self, frames: Sequence[Buffer]) -> None:
        tail = self._tail
        threshold = self._threshold
        counting = counters.enabled
        added = 0
        remaining = len(frames)
        for frame in frames:
            remaining -= 1
            body = frame if type(frame) is bytes or type(frame) is bytearray else _byte_view(frame)
            size = len(body)
            if size <= _SHORT:
                tail += (_MORE if remaining else _LAST)[size]
                header = 3
            else:
                head = encode_header(BINARY, size + 1) + (b"\x01" if remaining else b"\x00")
                tail += head
                header = len(head)
            if size < threshold:
                tail += body
                if counting:
                    counters.fallback_count += 1
                    counters.bytes_copied += header + size
            else:
                self._chunks.append(tail)
                self._chunks.append(body)
                tail = self._tail = bytearray()
                if counting:
                    counters.zerocopy_count += 1
                    counters.bytes_copied += header
            added += header + size
        self._size += added

    def _add_masked(self, frames: Sequence[Buffer]) -> None:
        keys = self._keys
        assert keys is not None
        threshold = self._threshold
        tail = self._tail
        added = 0
        remaining = len(frames)
        for frame in frames:
            remaining -= 1
            key = keys.next()
            body: Buffer = frame if type(frame) is bytes else _byte_view(frame)
            size = len(body) + 1  # (the payload: the flags byte, then the body)
            if size < 126:  # the common case, inline: one integer XOR masks it all
                payload = (b"\x01" if remaining else b"\x00") + body
                value = int.from_bytes(payload, "little")
                stream = int.from_bytes((key * 32)[:size], "little")
                tail += bytes((FIN | BINARY, MASKED | size))
                tail += key
                tail += (value ^ stream).to_bytes(size, "little")
                added += 6 + size
                continue
            head = encode_header(BINARY, size, key)
            # (the one copy a masked frame costs: the masking works on it)
            whole = bytearray(b"\x01" if remaining else b"\x00")
            whole += body
            tail += head
            if size <= threshold:
                tail += mask(whole, key)
            else:  # masked where it lies, and queued as its own buffer: no second copy
                mask_in_place(whole, key)
                self._chunks.append(tail)
                self._chunks.append(whole)
                tail = self._tail = bytearray()
            added += len(head) + size
        if counters.enabled:
            counters.fallback_count += len(frames)
            counters.bytes_copied += added
        self._size += added

    def _frame(self, opcode: int, payload: bytes) -> bytes:
        """One whole frame (masked on a client's queue)."""
        keys = self._keys
        if keys is None:
            return encode_header(opcode, len(payload)) + payload
        key = keys.next()
        return encode_header(opcode, len(payload), key) + mask(payload, key)

    def add_command(self, body: bytes, *, handshake: bool = False) -> None:
        """A command message (flags 0x02); our heartbeat's PING goes as a WebSocket ping."""
        if body.startswith(_PING_COMMAND):
            self._append_copied(self._frame(PING, b""), handshake)
        else:
            self._append_copied(self._frame(BINARY, bytes((ZWS_COMMAND,)) + body), handshake)

    def add_pong(self, payload: bytes) -> None:
        """Answer a ping; at most one pong waits, as for ZMTP's PONG (a peer flooding
        pings while it reads nothing cannot make the queue grow)."""
        if self._written_total >= self._pong_end:
            self._append_copied(self._frame(PONG, payload), False)
            self._pong_end = self.end

    def add_close(self, payload: bytes) -> None:
        """Echo the peer's close (RFC 6455 5.5.1); it outlives :meth:`discard`."""
        self._farewell = (self.end, self._frame(CLOSE, payload))
        self._append_copied(self._farewell[1], False)

    def discard(self) -> None:
        start, frame = self._farewell
        super().discard()
        if frame and self._written_total <= start:  # (none of it went yet)
            self._append_copied(frame, False)
        self._farewell = (0, b"")
