"""The greeting, byte for byte and step by step as libzmq 4.3 sends it, and telling old
peers apart."""

from __future__ import annotations

import pytest

from zmtp_core._greeting import Greeting, GreetingExchange, decode_greeting, encode_greeting
from zmtp_core.connection import NEED_DATA, Connection, ConnectionClosed, ConnectionState

from wire import drain, feed, take_output

# What libzmq 4.3.5 sends as a NULL socket with no routing id (wire facts §1).
LIBZMQ_NULL_GREETING = (
    b"\xff\x00\x00\x00\x00\x00\x00\x00\x01\x7f\x03\x01NULL" + bytes(16) + b"\x00" + bytes(31)
)


def test_our_greeting_is_libzmqs() -> None:
    assert encode_greeting(b"NULL") == LIBZMQ_NULL_GREETING
    assert len(LIBZMQ_NULL_GREETING) == 64


def test_padding_carries_routing_id_length_plus_one() -> None:
    assert encode_greeting(b"NULL", routing_id_size=5)[1:9] == b"\x00" * 7 + b"\x06"


def test_as_server_is_always_zero() -> None:
    assert encode_greeting(b"PLAIN")[32] == 0


def test_connection_sends_its_greeting_in_libzmqs_three_steps() -> None:
    # The signature; the major version once the peer's signature is in; the rest
    # once its revision byte is in (a ZMTP 1.0/2.0 peer gets its socket type there).
    conn = Connection("DEALER")
    assert take_output(conn) == LIBZMQ_NULL_GREETING[:10]
    feed(conn, LIBZMQ_NULL_GREETING[:9])
    assert take_output(conn) == b""
    feed(conn, LIBZMQ_NULL_GREETING[9:10])
    assert take_output(conn) == b"\x03"
    feed(conn, LIBZMQ_NULL_GREETING[10:11])
    assert take_output(conn) == LIBZMQ_NULL_GREETING[11:]


def test_a_whole_greeting_at_once_is_answered_at_once() -> None:
    conn = Connection("DEALER")
    feed(conn, LIBZMQ_NULL_GREETING)
    out = take_output(conn)
    assert out[:64] == LIBZMQ_NULL_GREETING
    assert out[64:72] == b"\x04\x29\x05READY"  # and READY follows it at once


def test_decode() -> None:
    greeting = decode_greeting(LIBZMQ_NULL_GREETING)
    assert greeting == Greeting(major=3, minor=1, mechanism=b"NULL" + bytes(16), size=64)
    assert greeting.version == (3, 1)


@pytest.mark.parametrize(
    ("major", "minor", "version"),
    [(3, 0, (3, 0)), (3, 1, (3, 1)), (3, 7, (3, 1)), (4, 0, (3, 1)), (2, 0, (3, 1))],
)
def test_version_selection_follows_libzmq(major: int, minor: int, version: tuple[int, int]) -> None:
    # libzmq: 3.0 gets 3.0 framing; any other 3.x, or an unknown major, gets 3.1.
    raw = bytearray(LIBZMQ_NULL_GREETING)
    raw[10:12] = bytes((major, minor))
    assert decode_greeting(raw).version == version


def test_every_prefix_of_a_good_greeting_waits_for_more() -> None:
    for end in range(64):
        exchange = GreetingExchange(b"NULL", 5)
        assert exchange.advance(LIBZMQ_NULL_GREETING[:end])[1] is None


@pytest.mark.parametrize(
    ("prefix", "version", "size"),
    [
        (b"\x01", (1, 0), 0),  # a ZMTP 1.0 identity message: its length, then flags
        (b"\xff" + bytes(8) + b"\x00", (1, 0), 0),  # a long length, flags bit 0 clear
        (b"\xff" + bytes(7) + b"\x01\x7f\x00\x05", (1, 0), 12),  # revision 0
        (b"\xff" + bytes(7) + b"\x01\x7f\x01\x05", (2, 0), 12),  # revision 1
    ],
)
def test_old_peers_are_told_apart_as_libzmq_does(
    prefix: bytes, version: tuple[int, int], size: int
) -> None:
    _, greeting = GreetingExchange(b"NULL", 5).advance(prefix)
    assert greeting is not None
    assert greeting.version == version
    assert greeting.size == size
    assert greeting.unversioned == (size == 0)


@pytest.mark.parametrize("mode", ["whole", "byte by byte", "with trailing data"])
def test_greeting_fed_whole_bytewise_and_with_trailing_data(mode: str) -> None:
    conn = Connection("DEALER")
    data = LIBZMQ_NULL_GREETING + (b"\x04\x01" if mode == "with trailing data" else b"")
    sizes = [1] * len(data) if mode == "byte by byte" else []
    assert feed(conn, data, sizes) == []
    assert conn.state is ConnectionState.HANDSHAKE
    assert conn.peer_version == (3, 1)
    assert conn.next_event() is NEED_DATA


def test_libzmqs_piecewise_greeting() -> None:
    # libzmq sends 10 bytes, then the major version, then the remaining 53.
    conn = Connection("DEALER")
    for piece in (
        LIBZMQ_NULL_GREETING[:10],
        LIBZMQ_NULL_GREETING[10:11],
        LIBZMQ_NULL_GREETING[11:],
    ):
        assert feed(conn, piece) == []
    assert conn.state is ConnectionState.HANDSHAKE


def test_mechanism_compared_on_all_twenty_bytes() -> None:
    raw = bytearray(LIBZMQ_NULL_GREETING)
    raw[12 + 19] = ord("X")  # "NULL" followed by junk in the padding is another mechanism
    conn = Connection("DEALER")
    (closed,) = feed(conn, bytes(raw))
    assert isinstance(closed, ConnectionClosed)
    assert "mechanism mismatch" in closed.reason


def test_plain_peer_against_null_is_refused_without_error_command() -> None:
    raw = bytearray(LIBZMQ_NULL_GREETING)
    raw[12:32] = b"PLAIN".ljust(20, b"\0")
    conn = Connection("DEALER")
    take_output(conn)
    (closed,) = feed(conn, bytes(raw))
    assert isinstance(closed, ConnectionClosed)
    assert "'PLAIN'" in closed.reason and "'NULL'" in closed.reason
    assert take_output(conn) == b""  # libzmq closes without ERROR here
    assert drain(conn) == [closed]  # and stays closed
