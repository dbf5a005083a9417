"""The WebSocket frame (RFC 6455, section 5) as ZWS 2.0 (RFC 45) uses it: the
constants, the header, and masking.

ZWS puts each ZeroMQ frame in one binary WebSocket message whose payload starts
with a flags byte (0x00 last, 0x01 more, 0x02 command). A client masks every
frame it sends with a fresh four-byte key; a server never masks.
:mod:`._wsqueue` builds these frames and :mod:`._wsreader` parses them.
"""

from __future__ import annotations

import struct
from collections.abc import Callable

from ._codec import COMMAND, MORE

__all__ = [
    "BINARY",
    "CLOSE",
    "CONTINUATION",
    "CONTROL",
    "FIN",
    "MASKED",
    "MAX_CONTROL_PAYLOAD",
    "MAX_HEADER",
    "PING",
    "PONG",
    "RESERVED",
    "TEXT",
    "U16",
    "ZWS_COMMAND",
    "ZWS_MORE",
    "MaskKeys",
    "encode_header",
    "mask",
    "mask_in_place",
    "zmtp_flags",
]

FIN = 0x80
RESERVED = 0x70
CONTINUATION, TEXT, BINARY = 0x0, 0x1, 0x2
CLOSE, PING, PONG = 0x8, 0x9, 0xA
#: Opcodes from 0x8 up are control frames: unfragmented, at most 125 bytes.
CONTROL = 0x8
MAX_CONTROL_PAYLOAD = 125
MASKED = 0x80

#: The ZWS flags byte: the first payload byte of every message.
ZWS_MORE, ZWS_COMMAND = 0x01, 0x02
#: The longest header: two bytes, an eight-byte length, a key; then the flags byte.
MAX_HEADER = 2 + 8 + 4 + 1

U16 = struct.Struct(">H")
_U64 = struct.Struct(">Q")


def encode_header(opcode: int, length: int, key: bytes = b"") -> bytes:
    """The header of one final frame with a ``length``-byte payload (masked with ``key``)."""
    bit = MASKED if key else 0
    if length < 126:
        return bytes((FIN | opcode, bit | length)) + key
    if length < 0x10000:
        return bytes((FIN | opcode, bit | 126)) + U16.pack(length) + key
    return bytes((FIN | opcode, bit | 127)) + _U64.pack(length) + key


def zmtp_flags(zws_flags: int) -> int:
    """ZMTP's MORE/COMMAND bits for a ZWS flags byte, or -1 when the byte is not one."""
    if zws_flags < ZWS_COMMAND:
        return zws_flags & MORE  # (0x00 last, 0x01 more: the same bits as ZMTP's)
    return COMMAND if zws_flags == ZWS_COMMAND else -1


# Masking XORs the payload with the key repeated. Two ways in pure Python, each
# fastest at its own size (measured here): one big-integer XOR for short payloads,
# and for long ones four byte translations, one per key position, over every
# fourth byte.
_XOR_TABLES = [bytes(value ^ key for value in range(256)) for key in range(256)]
_INTEGER_UP_TO = 512


def _rotated(key: bytes, offset: int) -> bytes:
    offset &= 3
    return key[offset:] + key[:offset] if offset else key


def mask(data: bytes | bytearray | memoryview, key: bytes, offset: int = 0) -> bytes:
    """``data`` XOR ``key`` repeated, the key starting at its byte ``offset``
    (masking and unmasking are the same)."""
    size = len(data)
    if offset:
        key = _rotated(key, offset)
    if size <= _INTEGER_UP_TO:
        stream = (key * ((size + 3) >> 2))[:size]
        value = int.from_bytes(data, "little") ^ int.from_bytes(stream, "little")
        return value.to_bytes(size, "little")
    out = bytearray(data)
    mask_in_place(out, key)
    return bytes(out)  # (a small frame is bytes, whichever way it was unmasked)


def mask_in_place(data: bytearray, key: bytes, offset: int = 0) -> None:
    """Mask (or unmask) ``data`` itself: a large body needs no second buffer.

    (bytearray's own slicing, called as such: a subclass, such as a backend's
    frame, may slice differently, and a memoryview's strided copy is 8x slower.)
    """
    if offset:
        key = _rotated(key, offset)
    for position in range(4):
        every_fourth = slice(position, None, 4)
        masked = _slice(data, every_fourth).translate(_XOR_TABLES[key[position]])
        _assign(data, every_fourth, masked)


_slice = bytearray.__getitem__
_assign = bytearray.__setitem__


class MaskKeys:
    """Fresh masking keys for a client's frames, read from the OS in batches.

    RFC 6455 wants each key unpredictable (``random_bytes`` is a cryptographic
    source, the engine's); a call per frame would cost more than the frame, so
    1024 keys come at a time.
    """

    __slots__ = ("_pool", "_position", "_random_bytes")

    _BATCH = 4096

    def __init__(self, random_bytes: Callable[[int], bytes]) -> None:
        self._random_bytes = random_bytes
        self._pool = b""
        self._position = 0

    def next(self) -> bytes:
        position = self._position
        if position >= len(self._pool):
            self._pool = self._random_bytes(self._BATCH)
            position = 0
        self._position = position + 4
        return self._pool[position : position + 4]
