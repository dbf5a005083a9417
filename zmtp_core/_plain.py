"""ZMTP PLAIN (RFC 24): a user name and password in clear text, checked by ZAP.

Client: HELLO(username, password), then INITIATE(metadata) once WELCOME
arrives, and done at READY(metadata). Server: HELLO, a question to ZAP, WELCOME
(or ERROR with ZAP's status code), then INITIATE and READY. As in libzmq, a
server with no ZAP handler refuses every client.
"""

from __future__ import annotations

from ._commands import READY, decode_properties, encode_command, split_command
from ._errors import (
    PROTOCOL_ERROR_MALFORMED_HELLO,
    PROTOCOL_ERROR_MALFORMED_INITIATE,
    PROTOCOL_ERROR_MALFORMED_READY,
    PROTOCOL_ERROR_MALFORMED_WELCOME,
    PROTOCOL_ERROR_UNEXPECTED_COMMAND,
    RemoteProtocolError,
)
from ._mechanism import Mechanism, zap_refusal

__all__ = ["PlainClient", "PlainServer"]

HELLO = b"HELLO"
WELCOME = b"WELCOME"
INITIATE = b"INITIATE"


def _expect(got: bytes, wanted: bytes) -> None:
    if got != wanted:
        raise RemoteProtocolError(
            f"PLAIN handshake expected {wanted.decode()}, got {got!r}",
            code=PROTOCOL_ERROR_UNEXPECTED_COMMAND,
        )


def _properties(data: bytes, code: int) -> dict[str, bytes]:
    try:
        return decode_properties(data)
    except RemoteProtocolError as error:
        raise RemoteProtocolError(str(error), code=code) from None


#: libzmq's PLAIN writes ERROR as "\x05ERROR" in C, where the hex escape eats
#: the "E": its ERROR starts with 0x5E "RROR", and it recognises only that. We
#: send that, and accept the RFC's form too.
LIBZMQ_ERROR = b"\x5eRROR"
_ERROR_PREFIXES = (LIBZMQ_ERROR, b"\x05ERROR")


class PlainClient(Mechanism):
    """The connecting side of PLAIN (PLAIN_USERNAME and PLAIN_PASSWORD set)."""

    name = b"PLAIN"
    error_prefixes = _ERROR_PREFIXES

    def __init__(self, username: bytes, password: bytes) -> None:
        if len(username) > 255 or len(password) > 255:
            raise ValueError("PLAIN user names and passwords are at most 255 bytes")
        self._hello = bytes((len(username),)) + username + bytes((len(password),)) + password
        self._properties = b""
        self._expecting = WELCOME

    def start(self, properties: bytes) -> list[bytes]:
        self._properties = properties
        return [encode_command(HELLO, self._hello)]

    def handle_command(self, body: bytes) -> list[bytes]:
        name, data = split_command(body)
        _expect(name, self._expecting)
        if name == WELCOME:
            if data:
                raise RemoteProtocolError(
                    "PLAIN WELCOME carries no data", code=PROTOCOL_ERROR_MALFORMED_WELCOME
                )
            self._expecting = READY
            return [encode_command(INITIATE, self._properties)]
        self._peer = _properties(data, PROTOCOL_ERROR_MALFORMED_READY)
        self._expecting = b""
        return []


class PlainServer(Mechanism):
    """The accepting side of PLAIN (PLAIN_SERVER set): ZAP decides."""

    name = b"PLAIN"
    error_prefixes = _ERROR_PREFIXES

    def __init__(self) -> None:
        self._properties = b""
        self._expecting = HELLO

    def start(self, properties: bytes) -> list[bytes]:
        self._properties = properties
        return []

    def handle_command(self, body: bytes) -> list[bytes]:
        name, data = split_command(body)
        _expect(name, self._expecting)
        if name == HELLO:
            self.zap_credentials = _parse_hello(data)
            self._expecting = b""  # (nothing until ZAP has answered)
            return []
        self._peer = _properties(data, PROTOCOL_ERROR_MALFORMED_INITIATE)
        self._expecting = b""
        return [encode_command(READY, self._properties)]

    def zap_reply(self, status_code: str | None) -> list[bytes]:
        if status_code != "200":
            raise zap_refusal(status_code, "PLAIN")
        self._expecting = INITIATE
        return [encode_command(WELCOME)]


def _parse_hello(data: bytes) -> tuple[bytes, bytes]:
    """(username, password) from HELLO's data, which they must fill exactly."""
    malformed = RemoteProtocolError("malformed PLAIN HELLO", code=PROTOCOL_ERROR_MALFORMED_HELLO)
    if not data:
        raise malformed
    user_end = 1 + data[0]
    if len(data) < user_end + 1 or len(data) != user_end + 1 + data[user_end]:
        raise malformed
    return data[1:user_end], data[user_end + 1 :]
