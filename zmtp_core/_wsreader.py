"""Incoming ZWS 2.0: WebSocket frames parsed where ZMTP frames are, in the same buffer.

:class:`ZwsFrameReader` is a :class:`~zmtp_core._framereader.FrameReader`
that reads a WebSocket header and the ZWS flags byte where ZMTP has its frame
header, and yields the same ``(flags, body)`` pairs. The buffer, lazy
compaction, the memory rules and the large-body path (a body read straight into
the buffer that becomes the message) are the base class's.

What RFC 6455 adds, handled here:

* masking: a server accepts only masked frames, a client only unmasked ones;
  a masked body is unmasked in one pass once it is complete;
* fragments: a message may come in several frames, with control frames
  between them; the pieces are joined (libzmq refuses fragments, a browser or
  proxy may send them), within the same size limits as a whole message;
* control frames: a ping is answered with a pong (at most one waiting), a pong
  only proves the peer alive, a close is echoed and ends the input (codes other
  than 1000, 1001 or none end it as a failure, with the code and reason);
* refused: text messages, reserved bits and opcodes, an empty message (ZWS's
  flags byte is missing), flags other than 0x00, 0x01 and 0x02.
"""

from __future__ import annotations

from ._bodies import BodyPool
from ._codec import MORE, U64
from ._counters import counters
from ._errors import RemoteProtocolError
from ._framereader import FrameReader
from ._wsframes import (
    BINARY,
    CLOSE,
    CONTINUATION,
    CONTROL,
    FIN,
    MASKED,
    MAX_CONTROL_PAYLOAD,
    MAX_HEADER,
    PING,
    PONG,
    RESERVED,
    TEXT,
    U16,
    ZWS_COMMAND,
    mask,
    mask_in_place,
    zmtp_flags,
)
from ._wsqueue import ZwsSendQueue

__all__ = ["ZwsFrameReader"]

#: Close codes that end the connection in order rather than as a failure.
ORDERLY_CLOSE = (1000, 1001, 1005)


class ZwsFrameReader(FrameReader):
    """Receive buffer plus ZWS decoder; yields ``(flags, body)`` pairs like its base."""

    __slots__ = ("_body_key", "_fragment", "_masked", "_replies")
    longest_header = MAX_HEADER

    def __init__(
        self,
        replies: ZwsSendQueue,
        *,
        buffer_size: int = 65536,
        large_threshold: int = 8192,
        max_frame_size: int = -1,
        lazy_compact: bool = True,
        bodies: BodyPool | None = None,
    ) -> None:
        """``replies``: the queue that answers pings and closes (masked frames from
        it mean we are the client, so the peer must not mask, and the other way round)."""
        super().__init__(buffer_size, large_threshold, max_frame_size, lazy_compact, bodies)
        self._replies = replies
        self._masked = not replies.masked  # what the peer's frames must be
        self._body_key = b""  # the key of the large body being read, rotated past the flags
        self._fragment: bytearray | None = None  # a fragmented message's payload so far

    def _header(self) -> tuple[int, int, int, bytes] | None:
        """``(first byte, payload length, payload start, key)`` at the read position,
        or None while incomplete; what RFC 6455 forbids in a header raises."""
        pos, end = self._pos, self._end
        if end - pos < 2:
            return None
        buf = self._buf
        first, second = buf[pos], buf[pos + 1]
        if first & RESERVED:
            raise RemoteProtocolError(f"WebSocket frame with reserved bits set ({first:#04x})")
        if bool(second & MASKED) is not self._masked:
            side = "a client's frame must be" if self._masked else "a server's frame must not be"
            raise RemoteProtocolError(f"WebSocket mask: {side} masked")
        length = second & 0x7F
        start = pos + 2
        if length == 126:
            if end - start < 2:
                return None
            length = U16.unpack_from(buf, start)[0]
            start += 2
        elif length == 127:
            if end - start < 8:
                return None
            length = U64.unpack_from(buf, start)[0]
            start += 8
            if length >> 63:
                raise RemoteProtocolError("WebSocket frame length with its top bit set")
        key = b""
        if self._masked:
            if end - start < 4:
                return None
            key = bytes(buf[start : start + 4])
            start += 4
        return first, length, start, key

    def next_frame(self) -> tuple[int, bytes | bytearray] | None:
        """The next complete ZeroMQ frame as (flags, body), or None until more bytes come."""
        while True:
            if self._body is not None:
                return self._finish_body()
            # The common case, inline: a whole binary message in one frame, of up to
            # 64 KiB (a 16-bit length) and below the large-body threshold.
            pos = self._pos
            buf = self._buf
            if self._end - pos > 2 and buf[pos] == FIN | BINARY and self._fragment is None:
                second = buf[pos + 1]
                length = second & 0x7F
                start = pos + 2
                if length >= 126:
                    if length == 127 or self._end - pos < 4:
                        length = 0  # (the slow path's)
                    else:
                        length = buf[start] << 8 | buf[start + 1]
                        start += 2
                fits = length <= self._big and length <= self._max_frame + 1
                if length > 0 and fits and second >> 7 == self._masked:
                    stop = start + (4 if self._masked else 0) + length
                    item = self._whole(start, stop, length) if stop <= self._end else None
                    if item is not None:
                        return item
            header = self._header()
            if header is None:
                return None
            first, length, start, key = header
            opcode = first & 0x0F
            if opcode >= CONTROL:
                if not self._control(first, length, start, key):
                    return None
                continue
            if opcode == BINARY and first & FIN and self._fragment is None:
                return self._message(length, start, key)  # (one the inline path left)
            if not self._fragment_part(opcode, first & FIN, length, start, key):
                return None
            if first & FIN:
                return self._end_fragments()

    def _whole(self, start: int, stop: int, length: int) -> tuple[int, bytes] | None:
        """The fast path's message (None: flags that need the slow path's care)."""
        if self._masked:
            key = bytes(self._buf[start : start + 4])
            payload = mask(self._view[start + 4 : stop], key)
        else:
            payload = bytes(self._view[start:stop])
        flags = payload[0]
        if flags >= ZWS_COMMAND:
            return None
        self._pos = stop
        if counters.enabled:
            counters.read_bytes_copied += length - 1
        if not flags and (self._exact or self._big_in_message):
            self._exact = self._big_in_message  # as in the base class
            self._big_in_message = False
        return flags, payload[1:]

    def _message(self, length: int, start: int, key: bytes) -> tuple[int, bytes | bytearray] | None:
        """A whole message in one frame: the flags byte, then the ZeroMQ frame's body."""
        end = self._end
        if length == 0:
            raise RemoteProtocolError("empty WebSocket message: a ZWS frame starts with its flags")
        if start == end:
            return None  # (the flags byte decides what this is)
        buf = self._buf
        flags = self._flags(buf[start] ^ key[0] if key else buf[start])
        size = length - 1
        if size > self._max_frame:
            raise RemoteProtocolError(f"frame of {size} bytes {self._too_large} {self._max_frame}")
        start += 1
        stop = start + size
        if stop > end:
            if size >= self._big:
                self._start_body(flags, size, start)
                self._body_key = key
            return None
        self._pos = stop
        if counters.enabled:
            counters.read_bytes_copied += size
        view = self._view[start:stop]
        if size >= self._big:
            self._exact = True
            self._big_in_message = bool(flags & MORE)
            body = self._bodies.kind(view)
            if key:
                mask_in_place(body, key, 1)
            return flags, body
        if not flags and (self._exact or self._big_in_message):
            self._exact = self._big_in_message  # as in the base class
            self._big_in_message = False
        return flags, mask(view, key, 1) if key else bytes(view)

    def _flags(self, zws_flags: int) -> int:
        flags = zmtp_flags(zws_flags)
        if flags < 0:
            raise RemoteProtocolError(f"invalid ZWS frame flags {zws_flags:#04x}")
        return flags

    def _finish_body(self) -> tuple[int, bytearray] | None:
        item = super()._finish_body()
        if item is not None and self._body_key:
            mask_in_place(item[1], self._body_key, 1)
            self._body_key = b""
        return item

    def _start_body_from_buffer(self) -> bool:
        try:
            header = self._header()
        except RemoteProtocolError:
            return False  # (next_frame() reports it)
        if header is None:
            return False
        first, length, start, key = header
        if first & 0x0F != BINARY or not first & FIN or self._fragment is not None:
            return False
        size = length - 1
        if size < self._big or size > self._max_frame or start >= self._end:
            return False  # (small, refused by next_frame, or the flags byte not here)
        if start + length <= self._end:
            return False  # complete: next_frame takes it
        flags = zmtp_flags(self._buf[start] ^ key[0] if key else self._buf[start])
        if flags < 0:
            return False
        self._start_body(flags, size, start + 1)
        self._body_key = key
        return True

    def _exact_want(self) -> int:
        """Bytes to read to finish the current small frame and one more longest header."""
        available = self._end - self._pos
        try:
            header = self._header()
        except RemoteProtocolError:
            header = None  # (next_frame() reports it)
        if header is None:
            return MAX_HEADER - available
        _, length, start, _ = header
        return start - self._pos + length + MAX_HEADER - available

    # -- what RFC 6455 adds ---------------------------------------------------------

    def _payload(self, start: int, length: int, key: bytes) -> bytes | bytearray | None:
        """A whole frame's payload, unmasked and consumed; None until it is all here."""
        stop = start + length
        if stop > self._end:
            return None
        self._pos = stop
        view = self._view[start:stop]
        return mask(view, key) if key else bytes(view)

    def _control(self, first: int, length: int, start: int, key: bytes) -> bool:
        """Handle a ping, pong or close; False until the frame is complete (or input ended)."""
        opcode = first & 0x0F
        if opcode not in (PING, PONG, CLOSE):
            raise RemoteProtocolError(f"WebSocket frame with reserved opcode {opcode:#x}")
        if not first & FIN or length > MAX_CONTROL_PAYLOAD:
            raise RemoteProtocolError("WebSocket control frame fragmented or over 125 bytes")
        payload = self._payload(start, length, key)
        if payload is None:
            return False
        if opcode == PING:
            self._replies.add_pong(bytes(payload))
        elif opcode == CLOSE:
            self._close(bytes(payload))
            return False
        return True  # (a pong: the peer is alive, which bytes_received already shows)

    def _close(self, payload: bytes) -> None:
        if len(payload) == 1:
            raise RemoteProtocolError("WebSocket close frame with a one-byte payload")
        code = U16.unpack_from(payload)[0] if payload else 1005
        self._replies.add_close(payload[:2])
        self._pos = self._end  # nothing after a close counts
        self.eof = True
        if code not in ORDERLY_CLOSE:
            reason = payload[2:].decode("utf-8", "replace")
            raise RemoteProtocolError(
                f"WebSocket closed with code {code}" + (f": {reason}" if reason else "")
            )

    def _fragment_part(self, opcode: int, final: int, length: int, start: int, key: bytes) -> bool:
        """Add one frame of a fragmented message; False until the frame is complete."""
        if opcode == TEXT:
            raise RemoteProtocolError("WebSocket text message: ZWS carries binary messages only")
        if opcode == BINARY:
            if self._fragment is not None:
                raise RemoteProtocolError("WebSocket message began inside a fragmented one")
        elif opcode != CONTINUATION:
            raise RemoteProtocolError(f"WebSocket frame with reserved opcode {opcode:#x}")
        elif self._fragment is None:
            raise RemoteProtocolError("WebSocket continuation frame outside a message")
        fragment = self._fragment
        held = 0 if fragment is None else len(fragment)
        if held + length - 1 > self._max_frame:
            size = held + length - 1
            raise RemoteProtocolError(f"frame of {size} bytes {self._too_large} {self._max_frame}")
        payload = self._payload(start, length, key)
        if payload is None:
            return False
        if fragment is None:
            self._fragment = fragment = bytearray()
        fragment += payload
        if counters.enabled:
            counters.read_bytes_copied += len(payload)
        return True

    def _end_fragments(self) -> tuple[int, bytes | bytearray]:
        fragment = self._fragment
        assert fragment is not None
        self._fragment = None
        if not fragment:
            raise RemoteProtocolError("empty WebSocket message: a ZWS frame starts with its flags")
        flags = self._flags(fragment[0])
        return flags, bytes(memoryview(fragment)[1:])
