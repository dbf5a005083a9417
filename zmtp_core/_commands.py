"""ZMTP command bodies: name, data, and the property lists READY carries.

A command body is ``len(name) name data``. Everything here is a pure function
over bytes; malformed input raises :class:`RemoteProtocolError`.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Mapping

from ._errors import PROTOCOL_ERROR_MALFORMED_COMMAND, RemoteProtocolError

__all__ = [
    "CANCEL",
    "ERROR",
    "JOIN",
    "LEAVE",
    "MAX_PING_CONTEXT",
    "PING",
    "PONG",
    "READY",
    "SUBSCRIBE",
    "decode_error",
    "decode_ping",
    "decode_properties",
    "encode_command",
    "encode_error",
    "encode_ping",
    "encode_pong",
    "encode_properties",
    "metadata_items",
    "split_command",
]

READY = b"READY"
ERROR = b"ERROR"
PING = b"PING"
PONG = b"PONG"
SUBSCRIBE = b"SUBSCRIBE"
CANCEL = b"CANCEL"
#: A DISH joins and leaves a RADIO's groups with these (libzmq's draft API).
JOIN = b"JOIN"
LEAVE = b"LEAVE"

#: PING context echoed in PONG, at most (RFC 37; longer contexts are cut).
MAX_PING_CONTEXT = 16

_U16 = struct.Struct(">H")
_U32 = struct.Struct(">I")


def encode_command(name: bytes, data: bytes = b"") -> bytes:
    """The body of a command frame."""
    return bytes((len(name),)) + name + data


def split_command(body: bytes | bytearray) -> tuple[bytes, bytes]:
    """Split a command body into (name, data)."""
    if not body:
        raise RemoteProtocolError("empty command frame", code=PROTOCOL_ERROR_MALFORMED_COMMAND)
    end = 1 + body[0]
    if end > len(body):
        raise RemoteProtocolError(
            "malformed command: name longer than the frame", code=PROTOCOL_ERROR_MALFORMED_COMMAND
        )
    return bytes(body[1:end]), bytes(body[end:])


def encode_properties(properties: Iterable[tuple[str, bytes]]) -> bytes:
    """ZMTP metadata: for each property, u8 name length, name, u32 value length, value."""
    out = bytearray()
    for name, value in properties:
        raw = name.encode("ascii")
        if not 0 < len(raw) <= 255:
            raise ValueError(f"property name must be 1-255 bytes: {name!r}")
        out.append(len(raw))
        out += raw
        out += _U32.pack(len(value))
        out += value
    return bytes(out)


def decode_properties(data: bytes) -> dict[str, bytes]:
    """Parse a property list; the whole of ``data`` must be properties."""
    properties: dict[str, bytes] = {}
    pos, end = 0, len(data)
    while pos < end:
        name_end = pos + 1 + data[pos]
        if data[pos] == 0 or name_end + 4 > end:
            raise RemoteProtocolError("malformed metadata: truncated property name")
        name = data[pos + 1 : name_end].decode("latin-1")
        (size,) = _U32.unpack_from(data, name_end)
        value_start = name_end + 4
        if value_start + size > end:
            raise RemoteProtocolError(f"malformed metadata: value of {name!r} is truncated")
        properties[name] = data[value_start : value_start + size]
        pos = value_start + size
    return properties


def encode_error(reason: bytes, prefix: bytes = b"\x05" + ERROR) -> bytes:
    """An ERROR command body; the reason is cut at 255 bytes. (``prefix``: libzmq's
    PLAIN writes its own, see _plain.py.)"""
    reason = reason[:255]
    return prefix + bytes((len(reason),)) + reason


def decode_error(data: bytes) -> str:
    """The reason carried by an ERROR command."""
    if not data or 1 + data[0] > len(data):
        raise RemoteProtocolError("malformed ERROR command")
    return data[1 : 1 + data[0]].decode("utf-8", "replace")


def encode_ping(ttl_deciseconds: int, context: bytes = b"") -> bytes:
    """A PING body; the TTL travels in tenths of a second."""
    return encode_command(PING, _U16.pack(min(ttl_deciseconds, 0xFFFF)) + context)


def decode_ping(data: bytes) -> tuple[int, bytes]:
    """(TTL in tenths of a second, context to echo, cut to 16 bytes)."""
    if len(data) < 2:
        raise RemoteProtocolError("malformed PING: no TTL")
    return _U16.unpack_from(data)[0], data[2 : 2 + MAX_PING_CONTEXT]


def encode_pong(context: bytes) -> bytes:
    """The PONG answering a PING with this context."""
    return encode_command(PONG, context)


def metadata_items(
    socket_type: bytes, routing_id: bytes | None, metadata: Mapping[str, bytes]
) -> list[tuple[str, bytes]]:
    """READY's properties in libzmq's order: Socket-Type, Identity, then X- pairs."""
    items = [("Socket-Type", socket_type)]
    if routing_id is not None:
        items.append(("Identity", routing_id))
    items.extend(metadata.items())
    return items
