"""The options table: pyzmq's names, numbers and defaults; clear errors otherwise."""

from __future__ import annotations

import pytest

from zmtp_core import Options, SocketError, SocketType
from zmtp_core._options import OWN_OPTIONS, UNSUPPORTED, lookup
from zmtp_core.connection import Connection
from zmtp_core.options import OPTIONS
from zmtp_core.patterns import create_socket

from peers import require_pyzmq


def test_names_and_numbers_are_pyzmqs() -> None:
    zmq = require_pyzmq()
    for spec in OPTIONS:
        if spec.number < OWN_OPTIONS:
            assert getattr(zmq, spec.name) == spec.number, spec.name
    for name, number in UNSUPPORTED.items():
        assert getattr(zmq, name) == number, name


def test_defaults_are_libzmqs() -> None:
    zmq = require_pyzmq()
    ctx = zmq.Context()
    try:
        for kind in SocketType:
            theirs = ctx.socket(int(kind))
            ours = Options(kind)
            try:
                for spec in OPTIONS:
                    applies = spec.types is None or kind in spec.types
                    ours_only = spec.number >= OWN_OPTIONS or spec.backend_only
                    if spec.readable and applies and not ours_only:
                        theirs_value = theirs.getsockopt(spec.number)
                        assert ours.get(spec.name) == theirs_value, (kind, spec.name)
            finally:
                theirs.close(linger=0)
    finally:
        ctx.term()


@pytest.mark.parametrize("spelling", ["SNDHWM", "sndhwm", "ZMQ_SNDHWM", 23])
def test_lookup_by_any_spelling(spelling: str | int) -> None:
    assert lookup(spelling).name == "SNDHWM"


def test_identity_is_routing_id() -> None:
    sock = create_socket("DEALER")
    sock.setsockopt("IDENTITY", b"me")
    assert sock.getsockopt("ROUTING_ID") == b"me"


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("NO_SUCH_THING", 1, "unknown socket option 'NO_SUCH_THING'"),
        (9999, 1, "unknown socket option 9999"),
        ("USE_FD", 3, "USE_FD is not supported by zmtp"),
        (89, 3, r"USE_FD \(89\) is not supported by zmtp"),
        ("SNDHWM", -1, r"invalid value -1 for SNDHWM: must be >= 0"),
        ("SNDHWM", "lots", "SNDHWM takes an int, not str"),
        ("ROUTING_ID", b"", "invalid value b'' for ROUTING_ID: must be 1 to 255 bytes"),
        ("ROUTING_ID", 5, "ROUTING_ID takes bytes, not int"),
        ("HEARTBEAT_TTL", 6553600, r"HEARTBEAT_TTL: must be in \[0, 6553599\]"),
        ("TYPE", 1, "TYPE is read-only"),
        ("LAST_ENDPOINT", b"x", "LAST_ENDPOINT is read-only"),
        ("ROUTER_MANDATORY", 1, "ROUTER_MANDATORY does not apply to DEALER"),
        ("SUBSCRIBE", b"x", "SUBSCRIBE does not apply to DEALER"),
        ("METADATA", "Name:value", "must look like 'X-Name:value'"),
    ],
)
def test_invalid_options_name_themselves(option: str | int, value: object, message: str) -> None:
    sock = create_socket("DEALER")
    with pytest.raises(SocketError, match=message) as info:
        sock.setsockopt(option, value)
    assert info.value.errno_name == "EINVAL"


def test_write_only_options_cannot_be_read() -> None:
    sock = create_socket("ROUTER")
    sock.setsockopt("ROUTER_MANDATORY", True)  # bools are accepted as 0/1
    with pytest.raises(SocketError, match="ROUTER_MANDATORY cannot be read"):
        sock.getsockopt("ROUTER_MANDATORY")


def test_values_are_normalised() -> None:
    sock = create_socket("SUB")
    sock.setsockopt("SUBSCRIBE", "text topic")  # str is encoded, as pyzmq does
    assert sock.subscriptions() == [b"text topic"]  # type: ignore[attr-defined]
    sock.setsockopt("ROUTING_ID", bytearray(b"ba"))
    assert sock.getsockopt("ROUTING_ID") == b"ba"
    assert sock.getsockopt("TYPE") == int(SocketType.SUB)


def test_connection_kwargs_feed_a_connection() -> None:
    options = Options(SocketType.DEALER)
    options.set("ROUTING_ID", b"id")
    options.set("HEARTBEAT_IVL", 1500)
    options.set("HEARTBEAT_TTL", 3000)
    options.set("HANDSHAKE_IVL", 0)
    options.set("MAXMSGSIZE", 1024)
    options.set("METADATA", "X-App:demo")
    options.set("ZMTP_ZEROCOPY_THRESHOLD", 4096)
    kwargs = options.connection_kwargs()
    assert kwargs["heartbeat_interval"] == 1.5
    assert kwargs["heartbeat_ttl"] == 3.0
    assert kwargs["heartbeat_timeout"] is None  # -1: libzmq uses the interval
    assert kwargs["handshake_interval"] == 0
    assert kwargs["metadata"] == {"X-App": b"demo"}
    conn = Connection(SocketType.DEALER, **kwargs)
    assert conn.socket_type is SocketType.DEALER


def test_socket_types_match_pyzmq() -> None:
    zmq = require_pyzmq()
    for kind in SocketType:
        assert getattr(zmq, kind.name) == int(kind)
