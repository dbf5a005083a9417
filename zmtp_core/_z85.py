"""Z85 (ZeroMQ RFC 32): binary as printable text, the form CURVE keys travel in.

Four bytes become five characters, big-endian in base 85 over the RFC's
alphabet; so the input to ``encode`` is a multiple of 4 bytes long and the
input to ``decode`` a multiple of 5 characters.
"""

from __future__ import annotations

import struct

__all__ = ["z85_decode", "z85_encode"]

_ALPHABET = b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#"
_VALUE = {char: index for index, char in enumerate(_ALPHABET)}
_POWERS = [85**4, 85**3, 85**2, 85, 1]


def z85_encode(data: bytes) -> bytes:
    """Z85 text for ``data`` (its length a multiple of 4)."""
    if len(data) % 4:
        raise ValueError(f"Z85 encodes 4-byte blocks: {len(data)} bytes is not a multiple of 4")
    out = bytearray()
    for (word,) in struct.iter_unpack(">I", data):
        out += bytes(_ALPHABET[(word // power) % 85] for power in _POWERS)
    return bytes(out)


def z85_decode(text: bytes | str) -> bytes:
    """The bytes that Z85 ``text`` stands for (its length a multiple of 5)."""
    if isinstance(text, str):
        text = text.encode("ascii")
    if len(text) % 5:
        raise ValueError(f"Z85 decodes 5-character blocks: {len(text)} is not a multiple of 5")
    out = bytearray()
    for start in range(0, len(text), 5):
        word = 0
        for char in text[start : start + 5]:
            try:
                word = word * 85 + _VALUE[char]
            except KeyError:
                raise ValueError(f"{chr(char)!r} is not a Z85 character") from None
        if word > 0xFFFFFFFF:
            raise ValueError(f"{text[start : start + 5]!r} is beyond 32 bits")
        out += struct.pack(">I", word)
    return bytes(out)
