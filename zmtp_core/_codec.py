"""The ZMTP 3.x frame header, in one place: flag bits, encoding and parsing.

A frame is a flags byte, a size (one byte, or eight big-endian bytes when the
LONG bit is set) and the body. The hot paths (:mod:`._framereader`,
:mod:`._sendqueue`) inline these few lines for speed but take their constants
from here; everything else calls the functions.
"""

from __future__ import annotations

import struct

__all__ = [
    "COMMAND",
    "LONG",
    "LONG_HEADER",
    "MORE",
    "SHORT_HEADER",
    "U64",
    "encode_header",
    "parse_header",
]

MORE = 0x01
LONG = 0x02
COMMAND = 0x04

SHORT_HEADER = 2
LONG_HEADER = 9

#: The eight-byte size of a long frame.
U64 = struct.Struct(">Q")


def encode_header(flags: int, size: int) -> bytes:
    """The header of a frame of ``size`` bytes; LONG is added when the size needs it."""
    if size < 256:
        return bytes((flags & ~LONG, size))
    return bytes((flags | LONG,)) + U64.pack(size)


def parse_header(
    buf: bytes | bytearray | memoryview, pos: int = 0, end: int | None = None
) -> tuple[int, int, int] | None:
    """``(flags, size, body_start)`` for the header at ``pos``, or None if it is incomplete.

    ``flags`` keeps the raw bits (LONG included); reserved bits are the caller's call.
    """
    end = len(buf) if end is None else end
    if end - pos < SHORT_HEADER:
        return None
    flags = buf[pos]
    if flags & LONG:
        if end - pos < LONG_HEADER:
            return None
        return flags, U64.unpack_from(buf, pos + 1)[0], pos + LONG_HEADER
    return flags, buf[pos + 1], pos + SHORT_HEADER
