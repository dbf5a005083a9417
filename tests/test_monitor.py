"""The socket monitor: the events libzmq reports, in libzmq's form, on every backend.

The reference is libzmq itself: each scenario runs once with a pyzmq socket and
once with ours (the peer is pyzmq both times), and the two event lists must be
the same (descriptors differ: only their presence is compared).
"""

from __future__ import annotations

import errno
import socket
from collections.abc import Callable, Iterator
from types import ModuleType
from typing import Any

import pytest

import zmtp_selectors
from zmtp_selectors.utils.monitor import parse_monitor_message, recv_monitor_message

from backends import TrackedContext
from peers import require_pyzmq

#: Events whose value is a descriptor (compared as "fd").
_FD_VALUED = {"CONNECTED", "LISTENING", "ACCEPTED", "CLOSED", "DISCONNECTED"}


def events_until(monitor: Any, last: str, parse: Callable[[Any], Any]) -> list[tuple[str, Any]]:
    """(event name, value) until ``last`` arrives (descriptors shown as "fd")."""
    seen: list[tuple[str, Any]] = []
    monitor.rcvtimeo = 5000
    while not seen or seen[-1][0] != last:
        message = parse(monitor.recv_multipart())
        name = message["event"].name
        seen.append((name, "fd" if name in _FD_VALUED else message["value"]))
    return seen


def parser(zmq: ModuleType) -> Callable[[Any], Any]:
    if zmq.__name__ == "zmq":
        from zmq.utils.monitor import parse_monitor_message as theirs  # noqa: PLC0415

        return theirs
    return parse_monitor_message


@pytest.fixture(params=["pyzmq", "zmtp"])
def server_side(request: pytest.FixtureRequest) -> ModuleType:
    """Whose socket is monitored: libzmq's (the reference) or ours."""
    pyzmq = require_pyzmq()
    return pyzmq if request.param == "pyzmq" else zmtp_selectors


@pytest.fixture
def pyzmq_ctx() -> Iterator[TrackedContext]:
    pyzmq = require_pyzmq()
    context = TrackedContext(pyzmq.Context())
    yield context
    context.close()


def test_a_peers_whole_life_as_libzmq_reports_it(
    server_side: ModuleType, pyzmq_ctx: TrackedContext
) -> None:
    pyzmq = require_pyzmq()
    ctx = TrackedContext(server_side.Context())
    try:
        server = ctx.socket(server_side.REP)
        monitor = server.get_monitor_socket()
        ctx.sockets.append(monitor)
        server.bind("tcp://127.0.0.1:*")
        client = pyzmq_ctx.socket(pyzmq.REQ)
        client.connect(server.last_endpoint.decode())
        client.send(b"ping")
        assert server.recv() == b"ping"
        server.send(b"pong")
        assert client.recv() == b"pong"
        client.close(linger=0)
        assert events_until(monitor, "DISCONNECTED", parser(server_side)) == [
            ("LISTENING", "fd"),
            ("ACCEPTED", "fd"),
            ("HANDSHAKE_SUCCEEDED", 0),
            ("DISCONNECTED", "fd"),
        ]
        server.disable_monitor()
        assert events_until(monitor, "MONITOR_STOPPED", parser(server_side)) == [
            ("MONITOR_STOPPED", 0)
        ]
    finally:
        ctx.close()


def test_a_mechanism_mismatch_as_libzmq_reports_it(server_side: ModuleType) -> None:
    pyzmq = require_pyzmq()
    ctx = TrackedContext(server_side.Context())
    try:
        server = ctx.socket(server_side.DEALER)
        monitor = server.get_monitor_socket(server_side.EVENT_ACCEPTED | 0x2000 | 0x200)
        ctx.sockets.append(monitor)
        server.bind("tcp://127.0.0.1:*")
        host, port = server.last_endpoint.decode().rsplit("/", 1)[1].split(":")
        with socket.create_connection((host, int(port)), timeout=5) as raw:
            # A whole ZMTP 3.0 greeting that asks for PLAIN (the server has NULL).
            raw.sendall(b"\xff" + bytes(7) + b"\x01\x7f\x03\x00" + b"PLAIN".ljust(52, b"\0"))
            assert events_until(monitor, "DISCONNECTED", parser(server_side)) == [
                ("ACCEPTED", "fd"),
                ("HANDSHAKE_FAILED_PROTOCOL", pyzmq.PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH),
                ("DISCONNECTED", "fd"),
            ]
    finally:
        ctx.close()


def test_a_dial_to_nobody_as_libzmq_reports_it(server_side: ModuleType) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    ctx = TrackedContext(server_side.Context())
    try:
        client = ctx.socket(server_side.DEALER)
        client.reconnect_ivl = 50
        monitor = client.get_monitor_socket()
        ctx.sockets.append(monitor)
        client.connect(f"tcp://127.0.0.1:{port}")
        events = events_until(monitor, "CONNECT_RETRIED", parser(server_side))
        # The wait is RECONNECT_IVL plus up to as much again at random, as in libzmq.
        assert 50 <= events[-1][1] <= 100
        assert [*events[:-1], ("CONNECT_RETRIED", "ivl")] == [
            ("CONNECT_DELAYED", errno.EINPROGRESS),
            ("CLOSED", "fd"),
            ("CONNECT_RETRIED", "ivl"),
        ]
    finally:
        ctx.close()


def test_bind_failures_and_unbinding_as_libzmq_reports_them(server_side: ModuleType) -> None:
    ctx = TrackedContext(server_side.Context())
    try:
        first = ctx.socket(server_side.PULL)
        first.bind("tcp://127.0.0.1:*")
        second = ctx.socket(server_side.PULL)
        monitor = second.get_monitor_socket()
        ctx.sockets.append(monitor)
        with pytest.raises(server_side.ZMQError):
            second.bind(first.last_endpoint.decode())
        second.bind("tcp://127.0.0.1:*")
        assert events_until(monitor, "LISTENING", parser(server_side)) == [
            ("CLOSED", "fd"),  # libzmq's listening socket for the failed bind
            ("BIND_FAILED", errno.EADDRINUSE),
            ("LISTENING", "fd"),
        ]
        second.unbind(second.last_endpoint.decode())
        assert events_until(monitor, "CLOSED", parser(server_side)) == [("CLOSED", "fd")]
    finally:
        ctx.close()


def test_every_backend_monitors(zmtp: ModuleType) -> None:
    """The same events through each backend's own sockets (and its recv_monitor_message)."""
    ctx = TrackedContext(zmtp.Context())
    try:
        server, client = ctx.socket(zmtp.ROUTER), ctx.socket(zmtp.DEALER)
        server_monitor = server.get_monitor_socket()
        client_monitor = client.get_monitor_socket(
            zmtp.EVENT_CONNECTED | zmtp.EVENT_HANDSHAKE_SUCCEEDED
        )
        ctx.sockets.extend([server_monitor, client_monitor])
        server.bind("tcp://127.0.0.1:*")
        client.connect(server.last_endpoint)
        client.send(b"hello")
        assert server.recv_multipart()[1] == b"hello"
        for monitor in (server_monitor, client_monitor):
            monitor.rcvtimeo = 5000
        server_events = [recv_monitor_message(server_monitor)["event"] for _ in range(3)]
        assert server_events == [
            zmtp.EVENT_LISTENING,
            zmtp.EVENT_ACCEPTED,
            zmtp.EVENT_HANDSHAKE_SUCCEEDED,
        ]
        first = recv_monitor_message(client_monitor)
        assert first["event"] == zmtp.EVENT_CONNECTED  # (CONNECT_DELAYED was not asked for)
        assert first["endpoint"] == server.last_endpoint and first["value"] > 0
        assert recv_monitor_message(client_monitor)["event"] == zmtp.EVENT_HANDSHAKE_SUCCEEDED
        with pytest.raises(zmtp.ZMQError) as info:
            server.monitor("tcp://127.0.0.1:*")
        assert info.value.errno == errno.EPROTONOSUPPORT
    finally:
        ctx.close()
