"""Command bodies and READY properties, as libzmq writes and reads them."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zmtp_core import RemoteProtocolError
from zmtp_core import _commands as cmd

# READY from a libzmq 4.3 ROUTER with no routing id (wire facts §1: Socket-Type, then Identity).
LIBZMQ_ROUTER_READY = b"\x05READY\x0bSocket-Type\x00\x00\x00\x06ROUTER\x08Identity\x00\x00\x00\x00"


def test_ready_encoding_matches_libzmq() -> None:
    items = cmd.metadata_items(b"ROUTER", b"", {})
    assert cmd.encode_command(cmd.READY, cmd.encode_properties(items)) == LIBZMQ_ROUTER_READY


def test_metadata_order_is_socket_type_identity_then_x_pairs() -> None:
    items = cmd.metadata_items(b"DEALER", b"me", {"X-App": b"demo"})
    assert [name for name, _ in items] == ["Socket-Type", "Identity", "X-App"]
    assert [name for name, _ in cmd.metadata_items(b"PUB", None, {})] == ["Socket-Type"]


def test_split_command() -> None:
    assert cmd.split_command(LIBZMQ_ROUTER_READY)[0] == b"READY"
    with pytest.raises(RemoteProtocolError, match="empty command"):
        cmd.split_command(b"")
    with pytest.raises(RemoteProtocolError, match="name longer"):
        cmd.split_command(b"\x09SUBS")


def test_properties_whole_and_with_trailing_data() -> None:
    data = cmd.split_command(LIBZMQ_ROUTER_READY)[1]
    assert cmd.decode_properties(data) == {"Socket-Type": b"ROUTER", "Identity": b""}
    # Trailing bytes that are not a whole property make the READY malformed, as in libzmq.
    with pytest.raises(RemoteProtocolError, match="malformed metadata"):
        cmd.decode_properties(data + b"\x03")


def test_every_truncation_of_properties_is_refused() -> None:
    data = cmd.split_command(LIBZMQ_ROUTER_READY)[1]
    boundaries = {0, len(b"\x0bSocket-Type\x00\x00\x00\x06ROUTER"), len(data)}
    for end in range(len(data) + 1):
        if end in boundaries:
            cmd.decode_properties(data[:end])
        else:
            with pytest.raises(RemoteProtocolError):
                cmd.decode_properties(data[:end])


@given(st.dictionaries(st.text("ABCXYZ-abc", min_size=1, max_size=20), st.binary(max_size=300)))
def test_properties_round_trip(properties: dict[str, bytes]) -> None:
    assert cmd.decode_properties(cmd.encode_properties(properties.items())) == properties


@given(st.binary(max_size=200))
def test_properties_parser_never_fails_otherwise(data: bytes) -> None:
    with contextlib.suppress(RemoteProtocolError):
        cmd.decode_properties(data)


def test_ping_as_libzmq_sends_it() -> None:
    # HEARTBEAT_TTL 3000 ms travels as 30 tenths: "04 07 04 PING 00 1e" on the wire.
    assert cmd.encode_ping(30) == b"\x04PING\x00\x1e"
    assert cmd.decode_ping(b"\x00\x1e") == (30, b"")


def test_ping_context_is_cut_to_sixteen_bytes() -> None:
    ttl, context = cmd.decode_ping(b"\x00\x01" + bytes(range(40)))
    assert (ttl, context) == (1, bytes(range(16)))
    with pytest.raises(RemoteProtocolError, match="PING"):
        cmd.decode_ping(b"\x00")


def test_error_command() -> None:
    body = cmd.encode_error(b"400")
    assert body == b"\x05ERROR\x03400"
    assert cmd.decode_error(cmd.split_command(body)[1]) == "400"
    for bad in (b"", b"\x05abc"):
        with pytest.raises(RemoteProtocolError, match="ERROR"):
            cmd.decode_error(bad)
