"""ZMTP CURVE (RFC 26, CurveZMQ): authenticated encryption with libsodium's box.

Keys: the client's permanent pair (C, c), the server's (S, s), and a short-term
pair per connection on each side (C', c' and S', s'). The handshake:

* HELLO (client): C', and a box of 64 zero bytes from c' to S proving that the
  client knows the server's key;
* WELCOME (server): a box from s to C' holding S' and a cookie; the cookie is
  C' and s' sealed with a key only this server knows, so the server keeps
  nothing for the client until INITIATE brings the cookie back (a flood of
  HELLOs costs no memory beyond the connections themselves);
* INITIATE (client): the cookie, and a box from c' to S' holding C, a vouch
  (a box from c to S' holding C' and S: the permanent key stands for the
  short-term one) and the client's metadata; the server asks ZAP about C;
* READY (server): its metadata, in a box from s' to C'.

Then every frame travels as a MESSAGE: a short nonce and a box of one flags
byte (libzmq's: 0x01 MORE, 0x02 COMMAND) and the body. Short nonces count up
from 1 on each side; a nonce that does not grow is a replay and ends the
connection. Byte layouts are libzmq's (see the wire facts).

PyNaCl provides the boxes (``pip install zmtp[curve]``); it is imported when a
CURVE socket makes its first connection.
"""

from __future__ import annotations

import errno
import os
import struct
from collections.abc import Callable
from types import ModuleType
from typing import Any

from ._commands import READY, decode_properties, split_command
from ._errors import (
    PROTOCOL_ERROR_UNEXPECTED_COMMAND,
    RemoteProtocolError,
    SocketError,
)
from ._mechanism import Mechanism, zap_refusal

__all__ = ["CurveClient", "CurveServer", "curve_keypair", "curve_public", "sodium"]

HELLO = b"HELLO"
WELCOME = b"WELCOME"
INITIATE = b"INITIATE"
MESSAGE_PREFIX = b"\x07MESSAGE"

#: libzmq's codes for the monitor.
PROTOCOL_ERROR_CRYPTOGRAPHIC = 0x11000001
PROTOCOL_ERROR_MALFORMED_MESSAGE = 0x10000012
PROTOCOL_ERROR_MALFORMED_HELLO = 0x10000013
PROTOCOL_ERROR_MALFORMED_INITIATE = 0x10000014
PROTOCOL_ERROR_MALFORMED_READY = 0x10000016
PROTOCOL_ERROR_MALFORMED_WELCOME = 0x10000017
PROTOCOL_ERROR_INVALID_METADATA = 0x10000018
PROTOCOL_ERROR_KEY_EXCHANGE = 0x10000003

_MORE, _COMMAND = 0x01, 0x02
_NONCE = struct.Struct(">Q")
_HELLO_SIZE, _WELCOME_SIZE, _INITIATE_MIN, _READY_MIN, _MESSAGE_MIN = 200, 168, 257, 30, 33


def sodium() -> ModuleType:
    """PyNaCl's libsodium bindings; without them, ENOTSUP, as libzmq built
    without CURVE answers (PyNaCl is a dependency of zmtp: this is for
    installations that removed it)."""
    try:
        import nacl.bindings  # noqa: PLC0415  (only CURVE needs it)
    except ImportError:
        raise SocketError(errno.ENOTSUP, "CURVE needs PyNaCl: pip install pynacl") from None
    return nacl.bindings


def curve_keypair() -> tuple[bytes, bytes]:
    """A new (public, secret) pair, both raw 32 bytes."""
    public, secret = sodium().crypto_box_keypair()
    return bytes(public), bytes(secret)


def curve_public(secret: bytes) -> bytes:
    """The public key of a raw 32-byte secret key."""
    return bytes(sodium().crypto_scalarmult_base(secret))


def _malformed(what: str, code: int) -> RemoteProtocolError:
    return RemoteProtocolError(f"malformed CURVE {what}", code=code)


def _crypto(what: str) -> RemoteProtocolError:
    return RemoteProtocolError(f"CURVE {what} did not open", code=PROTOCOL_ERROR_CRYPTOGRAPHIC)


class _Boxes:
    """Traffic after the handshake: MESSAGE boxes both ways, nonces counted.

    Boxes are sealed and opened through libsodium itself (PyNaCl's cffi module):
    the body is copied once into the frame that goes out and encrypted in place
    there, and a box opens straight into the bytearray the application gets.
    """

    def __init__(self, lib: ModuleType, out_prefix: bytes, in_prefix: bytes) -> None:
        import nacl._sodium  # type: ignore[import-not-found]  # noqa: PLC0415

        self._ffi, self._sodium = nacl._sodium.ffi, nacl._sodium.lib
        self._lib = lib
        self._out_prefix, self._in_prefix = out_prefix, in_prefix
        self.nonce = 1  # our next short nonce
        self.peer_nonce = 0  # the last one the peer used
        self._key = b""

    def precompute(self, public: bytes, secret: bytes) -> None:
        self._key = self._lib.crypto_box_beforenm(public, secret)

    def next_nonce(self) -> bytes:
        short = _NONCE.pack(self.nonce)
        self.nonce += 1
        return short

    def check_nonce(self, short: bytes, what: str, code: int) -> None:
        value = _NONCE.unpack(short)[0]
        if value <= self.peer_nonce:
            raise _malformed(f"{what} (its nonce does not grow: a replay)", code)
        self.peer_nonce = value

    def seal(self, flags: int, body: Any) -> bytearray:
        """The MESSAGE frame: prefix, short nonce, MAC, then flags and body encrypted."""
        short = self.next_nonce()
        size = memoryview(body).nbytes
        frame = bytearray(33 + size)  # 8 + 8 header, 16 MAC, 1 flags byte
        frame[:16] = MESSAGE_PREFIX + short
        frame[32] = flags
        frame[33:] = body
        buffer = self._ffi.from_buffer("unsigned char[]", frame)
        # In place: the box (MAC first) ends where the plaintext ends (libsodium allows it).
        self._sodium.crypto_box_easy_afternm(
            buffer + 16, buffer + 32, size + 1, self._out_prefix + short, self._key
        )
        return frame

    def open(self, body: Any) -> tuple[int, bytearray]:
        size = len(body)
        if size < _MESSAGE_MIN or body[:8] != MESSAGE_PREFIX:
            raise _malformed("MESSAGE", PROTOCOL_ERROR_MALFORMED_MESSAGE)
        short = bytes(body[8:16])
        self.check_nonce(short, "MESSAGE", PROTOCOL_ERROR_MALFORMED_MESSAGE)
        plain = bytearray(size - 32)
        failed = self._sodium.crypto_box_open_easy_afternm(
            self._ffi.from_buffer("unsigned char[]", plain),
            self._ffi.from_buffer(body) + 16,
            size - 16,
            self._in_prefix + short,
            self._key,
        )
        if failed:
            raise _crypto("MESSAGE")
        flags = plain[0]
        del plain[:1]  # (a bytearray drops its head without copying the rest)
        return (_MORE if flags & _MORE else 0) | (0x04 if flags & _COMMAND else 0), plain


class _Curve(Mechanism):
    name = b"CURVE"
    wraps_traffic = True

    def __init__(
        self, out_prefix: bytes, in_prefix: bytes, random_bytes: Callable[[int], bytes]
    ) -> None:
        #: Every random byte of the handshake (short-term keys, nonces, cookie key).
        self._random = random_bytes
        self._lib = sodium()
        self._boxes = _Boxes(self._lib, out_prefix, in_prefix)
        self._properties = b""

    def _short_keypair(self) -> tuple[bytes, bytes]:
        """A short-term key pair for this connection, from our random bytes."""
        public, secret = self._lib.crypto_box_seed_keypair(self._random(32))
        return bytes(public), bytes(secret)

    def encode(
        self, flags: int, body: bytes | bytearray | memoryview
    ) -> tuple[int, bytes | bytearray]:
        wire_flags = (_MORE if flags & _MORE else 0) | (_COMMAND if flags & 0x04 else 0)
        return 0, self._boxes.seal(wire_flags, body)

    def decode(self, flags: int, body: bytes | bytearray) -> tuple[int, bytes | bytearray]:
        return self._boxes.open(body)

    def _metadata(self, data: bytes, code: int) -> dict[str, bytes]:
        try:
            return decode_properties(data)
        except RemoteProtocolError as error:
            raise RemoteProtocolError(str(error), code=code) from None


def _expect(got: bytes, wanted: bytes) -> None:
    if got != wanted:
        raise RemoteProtocolError(
            f"CURVE handshake expected {wanted.decode()}, got {got!r}",
            code=PROTOCOL_ERROR_UNEXPECTED_COMMAND,
        )


class CurveClient(_Curve):
    """The side that knows the server's public key (CURVE_SERVERKEY)."""

    def __init__(
        self,
        public: bytes,
        secret: bytes,
        server: bytes,
        *,
        random_bytes: Callable[[int], bytes] = os.urandom,
    ) -> None:
        super().__init__(b"CurveZMQMESSAGEC", b"CurveZMQMESSAGES", random_bytes)
        self._public, self._secret, self._server = public, secret, server
        self._short_public, self._short_secret = self._short_keypair()
        self._expecting = WELCOME

    def start(self, properties: bytes) -> list[bytes]:
        self._properties = properties
        short = self._boxes.next_nonce()
        box = self._lib.crypto_box(
            bytes(64), b"CurveZMQHELLO---" + short, self._server, self._short_secret
        )
        return [b"\x05HELLO\x01\x00" + bytes(72) + self._short_public + short + box]

    def handle_command(self, body: bytes) -> list[bytes]:
        name, _ = split_command(body)
        _expect(name, self._expecting)
        if name == WELCOME:
            return [self._initiate(body)]
        self._ready(body)
        return []

    def _initiate(self, body: bytes) -> bytes:
        lib = self._lib
        if len(body) != _WELCOME_SIZE:
            raise _malformed("WELCOME", PROTOCOL_ERROR_MALFORMED_WELCOME)
        try:
            opened = lib.crypto_box_open(
                body[24:], b"WELCOME-" + body[8:24], self._server, self._short_secret
            )
        except Exception:
            raise _crypto("WELCOME (is CURVE_SERVERKEY the server's key?)") from None
        server_short, cookie = opened[:32], opened[32:128]
        vouch_nonce = self._random(16)
        vouch = lib.crypto_box(
            self._short_public + self._server, b"VOUCH---" + vouch_nonce, server_short, self._secret
        )
        short = self._boxes.next_nonce()
        box = lib.crypto_box(
            self._public + vouch_nonce + vouch + self._properties,
            b"CurveZMQINITIATE" + short,
            server_short,
            self._short_secret,
        )
        self._boxes.precompute(server_short, self._short_secret)
        self._expecting = READY
        return b"\x08INITIATE" + bytes(cookie) + short + bytes(box)

    def _ready(self, body: bytes) -> None:
        if len(body) < _READY_MIN:
            raise _malformed("READY", PROTOCOL_ERROR_MALFORMED_READY)
        short = body[6:14]
        self._boxes.check_nonce(short, "READY", PROTOCOL_ERROR_MALFORMED_READY)
        try:
            metadata = self._lib.crypto_box_open_easy_afternm(
                body[14:], b"CurveZMQREADY---" + short, self._boxes._key
            )
        except Exception:
            raise _crypto("READY") from None
        self._peer = self._metadata(metadata, PROTOCOL_ERROR_INVALID_METADATA)
        self._expecting = b""


class CurveServer(_Curve):
    """The side with CURVE_SERVER set: it proves its key and asks ZAP about the client's."""

    def __init__(
        self,
        public: bytes,
        secret: bytes,
        enforce_zap: bool = False,
        *,
        random_bytes: Callable[[int], bytes] = os.urandom,
    ) -> None:
        super().__init__(b"CurveZMQMESSAGES", b"CurveZMQMESSAGEC", random_bytes)
        self._public, self._secret = public, secret
        self._enforce_zap = enforce_zap
        #: Seals the cookie; the only thing kept between WELCOME and INITIATE.
        self._cookie_key = random_bytes(32)
        self._client_public = b""
        self._expecting = HELLO

    def start(self, properties: bytes) -> list[bytes]:
        self._properties = properties
        return []

    def handle_command(self, body: bytes) -> list[bytes]:
        name, _ = split_command(body)
        _expect(name, self._expecting)
        if name == HELLO:
            return [self._welcome(body)]
        self._accept_initiate(body)
        return []

    def _welcome(self, body: bytes) -> bytes:
        lib = self._lib
        if len(body) != _HELLO_SIZE or body[6:8] != b"\x01\x00":
            raise _malformed("HELLO", PROTOCOL_ERROR_MALFORMED_HELLO)
        client_short, short = body[80:112], body[112:120]
        self._boxes.check_nonce(short, "HELLO", PROTOCOL_ERROR_MALFORMED_HELLO)
        try:
            zeros = lib.crypto_box_open(
                body[120:], b"CurveZMQHELLO---" + short, client_short, self._secret
            )
        except Exception:
            raise _crypto("HELLO (does the client have our public key?)") from None
        if zeros != bytes(64):
            raise _crypto("HELLO")
        server_short, server_short_secret = self._short_keypair()
        cookie_nonce = self._random(16)
        cookie = cookie_nonce + lib.crypto_secretbox(
            client_short + server_short_secret, b"COOKIE--" + cookie_nonce, self._cookie_key
        )
        welcome_nonce = self._random(16)
        box = lib.crypto_box(
            server_short + cookie, b"WELCOME-" + welcome_nonce, client_short, self._secret
        )
        self._expecting = INITIATE
        return b"\x07WELCOME" + welcome_nonce + bytes(box)

    def _accept_initiate(self, body: bytes) -> None:
        lib = self._lib
        if len(body) < _INITIATE_MIN:
            raise _malformed("INITIATE", PROTOCOL_ERROR_MALFORMED_INITIATE)
        cookie, short = body[9:105], body[105:113]
        try:
            opened = lib.crypto_secretbox_open(
                cookie[16:], b"COOKIE--" + cookie[:16], self._cookie_key
            )
        except Exception:
            raise _crypto("INITIATE's cookie") from None
        client_short, server_short_secret = opened[:32], opened[32:64]
        self._boxes.check_nonce(short, "INITIATE", PROTOCOL_ERROR_MALFORMED_INITIATE)
        try:
            plain = lib.crypto_box_open(
                body[113:], b"CurveZMQINITIATE" + short, client_short, server_short_secret
            )
        except Exception:
            raise _crypto("INITIATE") from None
        client, vouch_nonce, vouch = plain[:32], plain[32:48], plain[48:128]
        try:
            vouched = lib.crypto_box_open(
                vouch, b"VOUCH---" + vouch_nonce, client, server_short_secret
            )
        except Exception:
            raise _crypto("INITIATE's vouch") from None
        if vouched != client_short + self._public:
            raise RemoteProtocolError(
                "CURVE vouch does not match", code=PROTOCOL_ERROR_KEY_EXCHANGE
            )
        self._peer_metadata = self._metadata(plain[128:], PROTOCOL_ERROR_INVALID_METADATA)
        self._boxes.precompute(client_short, server_short_secret)
        self._client_public = client
        self._expecting = b""
        self.zap_credentials = (client,)

    def zap_reply(self, status_code: str | None) -> list[bytes]:
        # No handler: libzmq's CURVE server accepts any key (unless ZAP_ENFORCE_DOMAIN).
        if status_code != "200" and (status_code is not None or self._enforce_zap):
            raise zap_refusal(status_code, "CURVE")
        short = self._boxes.next_nonce()
        box = self._lib.crypto_box_easy_afternm(
            self._properties, b"CurveZMQREADY---" + short, self._boxes._key
        )
        self._peer = self._peer_metadata
        return [b"\x05READY" + short + box]
