"""ZMTP 1.0 framing (RFC 13), for peers that still speak it: libzmq 2.x and kin.

A frame is a length that counts the flags byte too (one byte, or 0xFF and
eight big-endian bytes from 255 on), a flags byte whose bit 0 is MORE, and the
body. There are no commands. The queue and the reader are the ZMTP 3 ones
with this header: the same copy-or-pin rule going out, and the same buffer,
large-body path and memory rules coming in.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence

from ._codec import MORE, U64
from ._counters import counters
from ._errors import LocalProtocolError, RemoteProtocolError
from ._framereader import FrameReader
from ._sendqueue import Buffer, MessageTracker, SendQueue, _byte_view

__all__ = ["Zmtp10FrameReader", "Zmtp10SendQueue", "encode_header"]

_ESCAPE = 0xFF
_LONG = struct.Struct(">BQB")
LONG_HEADER = _LONG.size  # 10


def encode_header(flags: int, size: int) -> bytes:
    """The header of a frame with a ``size``-byte body."""
    if size + 1 < _ESCAPE:
        return bytes((size + 1, flags & MORE))
    return _LONG.pack(_ESCAPE, size + 1, flags & MORE)


class Zmtp10SendQueue(SendQueue):
    """A :class:`SendQueue` that writes ZMTP 1.0 headers."""

    __slots__ = ()

    def add_frames(self, frames: Sequence[Buffer], tracker: MessageTracker | None = None) -> None:
        last = len(frames) - 1
        for index, frame in enumerate(frames):
            body = _byte_view(frame)
            header = encode_header(MORE if index < last else 0, len(body))
            self._tail += header
            if len(body) < self._threshold:
                self._tail += body
                if counters.enabled:
                    counters.fallback_count += 1
                    counters.bytes_copied += len(header) + len(body)
            else:  # pinned, as in the base class
                self._chunks.append(self._tail)
                self._chunks.append(body)
                self._tail = bytearray()
                if counters.enabled:
                    counters.zerocopy_count += 1
                    counters.bytes_copied += len(header)
            self._size += len(header) + len(body)
        if tracker is not None:
            self.track(tracker)

    def add_command(self, body: bytes, *, handshake: bool = False) -> None:
        raise LocalProtocolError("ZMTP 1.0 has no commands")


class Zmtp10FrameReader(FrameReader):
    """A :class:`FrameReader` that reads ZMTP 1.0 headers (``next_frame`` is the base
    class's with :meth:`_parse_header` called: the base inlines its own, for speed)."""

    __slots__ = ()
    longest_header = LONG_HEADER

    def _parse_header(self) -> tuple[int, int, int] | None:
        buf, pos, end = self._buf, self._pos, self._end
        if end - pos < 2:
            return None
        if buf[pos] == _ESCAPE:
            if end - pos < LONG_HEADER:
                return None
            length, start = U64.unpack_from(buf, pos + 1)[0], pos + LONG_HEADER
        else:
            length, start = buf[pos], pos + 2
        # (a length of 0 gives a size of -1: too small for a body of its own, and
        # next_frame() refuses it)
        return buf[start - 1] & MORE, length - 1, start

    def next_frame(self) -> tuple[int, bytes | bytearray] | None:
        if self._body is not None:
            return self._finish_body()
        header = self._parse_header()
        if header is None:
            return None
        flags, size, start = header
        if size < 0:
            raise RemoteProtocolError("a ZMTP 1.0 frame has a length of 0 (without its flags byte)")
        if size > self._max_frame:
            raise RemoteProtocolError(f"frame of {size} bytes {self._too_large} {self._max_frame}")
        stop = start + size
        if stop > self._end:
            if size >= self._big:
                self._start_body(flags, size, start)
            return None
        self._pos = stop
        if counters.enabled:
            counters.read_bytes_copied += size
        if size >= self._big:
            self._exact = True
            self._big_in_message = bool(flags)
            return flags, self._bodies.kind(self._view[start:stop])
        if not flags and (self._exact or self._big_in_message):
            self._exact = self._big_in_message
            self._big_in_message = False
        return flags, bytes(self._view[start:stop])
