"""End to end on loopback: the core, driven by examples/minimal_loop.py, against libzmq.

pyzmq's wheel carries libzmq 4.3.5, the reference peer. Every socket is on
127.0.0.1, ::1 or a Unix socket in a temporary directory.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from zmtp_core._greeting import encode_greeting
from zmtp_core.connection import Connection, ConnectionClosed, HandshakeComplete, Message, Subscribe

from minimal_loop import BlockingPeer
from peers import require_pyzmq
from wire import take_output

SIZES = [0, 1, 255, 256, 8191, 8192, 8193, 65536, 262144]


def body(size: int, seed: int = 0) -> bytes:
    """``size`` bytes of a pattern that differs per seed (251 is prime: no alignment luck)."""
    pattern = bytes((seed + i) % 251 for i in range(251))
    return (pattern * (size // 251 + 1))[:size]


@pytest.fixture(scope="module")
def zmq() -> ModuleType:
    return require_pyzmq()


@pytest.fixture
def ctx(zmq: ModuleType) -> Iterator[Any]:
    context = zmq.Context()
    yield context
    context.destroy(linger=0)


def pyzmq_socket(ctx: Any, zmq: ModuleType, kind: str, **options: Any) -> Any:
    sock = ctx.socket(getattr(zmq, kind))
    sock.linger = 0
    sock.rcvtimeo = 10_000
    sock.sndtimeo = 10_000
    for name, value in options.items():
        sock.setsockopt(getattr(zmq, name.upper()), value)
    return sock


def bind_pyzmq(sock: Any, transport: str, tmp_path: Path) -> str:
    if transport == "ipc":
        endpoint = f"ipc://{tmp_path / 'peer.sock'}"
        sock.bind(endpoint)
        return endpoint
    host = "[::1]" if transport == "tcp6" else "127.0.0.1"
    if transport == "tcp6":
        sock.ipv6 = True
    port = sock.bind_to_random_port(f"tcp://{host}")
    return f"tcp://{host}:{port}"


class Listener:
    """Our side listening on loopback: accept one connection, wrap it in a BlockingPeer."""

    def __init__(self) -> None:
        self.server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(1)
        self.server.settimeout(10)
        self.endpoint = f"tcp://127.0.0.1:{self.server.getsockname()[1]}"

    def accept(self, socket_type: str, **options: Any) -> BlockingPeer:
        sock, _ = self.server.accept()
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return BlockingPeer(sock, Connection(socket_type, **options))

    def close(self) -> None:
        self.server.close()


@pytest.fixture
def listener() -> Iterator[Listener]:
    server = Listener()
    yield server
    server.close()


@pytest.mark.parametrize("transport", ["tcp", "tcp6", "ipc"])
def test_our_dealer_and_a_pyzmq_router(
    ctx: Any, zmq: ModuleType, transport: str, tmp_path: Path
) -> None:
    router = pyzmq_socket(ctx, zmq, "ROUTER")
    endpoint = bind_pyzmq(router, transport, tmp_path)
    with BlockingPeer.connect(endpoint, "DEALER", routing_id=b"ours") as dealer:
        ready = dealer.handshake()
        assert (ready.socket_type, ready.version) == ("ROUTER", (3, 1))
        for size in SIZES:
            frames = [b"", body(size, size), b"end"]
            dealer.send(frames)
            assert router.recv_multipart() == [b"ours", *frames]
            reply = [body(size, 7), b"", body(size // 2, 3)]
            router.send_multipart([b"ours", *reply])
            assert dealer.recv() == reply
    router.close()


def test_a_pyzmq_dealer_and_our_router(ctx: Any, zmq: ModuleType, listener: Listener) -> None:
    dealer = pyzmq_socket(ctx, zmq, "DEALER", routing_id=b"theirs")
    dealer.connect(listener.endpoint)
    with listener.accept("ROUTER") as router:
        ready = router.handshake()
        assert (ready.socket_type, ready.routing_id) == ("DEALER", b"theirs")
        for size in SIZES:
            frames = [body(size, 1), b"", body(300, size)]
            dealer.send_multipart(frames)
            assert router.recv() == frames
            router.send([body(size, 2)])
            assert dealer.recv_multipart() == [body(size, 2)]
    dealer.close()


def test_our_sub_filters_nothing_itself_libzmq_pub_filters(ctx: Any, zmq: ModuleType) -> None:
    pub = pyzmq_socket(ctx, zmq, "PUB")
    port = pub.bind_to_random_port("tcp://127.0.0.1")
    with BlockingPeer.connect(f"tcp://127.0.0.1:{port}", "SUB") as sub:
        sub.handshake()
        sub.connection.send_subscribe(b"a")
        received: list[list[bytes]] = []
        for n in range(200):  # until the subscription has reached libzmq
            pub.send_multipart([b"b-%d" % n])
            pub.send_multipart([b"a-%d" % n, b"more"])
            event = sub.poll(0.02)
            if isinstance(event, Message):
                received.append([bytes(f) for f in event.frames])
                break
        assert received, "the subscription never reached libzmq"
        assert received[0][0].startswith(b"a-") and received[0][1] == b"more"
    pub.close()


def test_a_pyzmq_sub_subscribes_to_our_pub(ctx: Any, zmq: ModuleType, listener: Listener) -> None:
    sub = pyzmq_socket(ctx, zmq, "SUB")
    sub.connect(listener.endpoint)
    sub.subscribe(b"topic")
    with listener.accept("PUB") as pub:
        assert pub.handshake().socket_type == "SUB"
        assert pub.next_event() == Subscribe(b"topic")
        pub.send([b"topic-1", b"payload"])
        assert sub.recv_multipart() == [b"topic-1", b"payload"]
    sub.close()


@pytest.mark.parametrize(
    ("kind", "options"),
    [
        ("DEALER", {}),
        ("DEALER", {"routing_id": b"abc"}),
        ("ROUTER", {}),
        ("REQ", {}),
        ("REP", {}),
        ("PUB", {}),
        ("SUB", {}),
        ("PUSH", {}),
        ("PULL", {}),
        ("PAIR", {}),
        ("XPUB", {}),
        ("XSUB", {}),
    ],
)
def test_our_greeting_and_ready_are_libzmqs_byte_for_byte(
    ctx: Any, zmq: ModuleType, listener: Listener, kind: str, options: dict[str, bytes]
) -> None:
    """libzmq connects to a raw socket; its handshake bytes must equal ours."""
    theirs = pyzmq_socket(ctx, zmq, kind, **options)
    theirs.connect(listener.endpoint)
    sock, _ = listener.server.accept()
    with sock:
        sock.settimeout(10)
        ours = Connection(kind, routing_id=options.get("routing_id", b""))
        # Greetings go in libzmq's three steps, each sent once the peer's last arrived.
        our_steps, their_steps = [], []
        for size in (10, 1, 53):
            our_steps.append(take_output(ours))
            sock.sendall(our_steps[-1])
            their_steps.append(recv_exactly(sock, size))
            ours.receive_data(their_steps[-1])
            ours.next_event()
        their_ready_header = recv_exactly(sock, 2)  # flags, short size
        their_ready = their_ready_header + recv_exactly(sock, their_ready_header[1])
        our_ready = take_output(ours)
    theirs.close()
    assert their_steps == our_steps
    assert b"".join(our_steps) == encode_greeting(b"NULL", len(options.get("routing_id", b"")))
    assert their_ready == our_ready


def recv_exactly(sock: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        assert chunk, f"peer closed after {len(data)} of {size} bytes"
        data += chunk
    return data


@pytest.mark.parametrize(
    ("minor", "expected"), [(0, b"\x00\x06\x01topic"), (1, b"\x04\x0f\x09SUBSCRIBEtopic")]
)
def test_subscription_form_follows_the_peers_version_over_loopback(
    listener: Listener, minor: int, expected: bytes
) -> None:
    """A recorded libzmq 4.3.2 PUB (ZMTP 3.0) gets 0x01 frames; a 3.1 PUB gets commands."""
    with BlockingPeer.connect(listener.endpoint, "SUB") as sub:
        raw, _ = listener.server.accept()
        with raw:
            raw.settimeout(10)
            raw.sendall(
                b"\xff"
                + bytes(7)
                + b"\x01\x7f\x03"
                + bytes((minor,))
                + b"NULL"
                + bytes(48)
                + b"\x04\x19\x05READY\x0bSocket-Type\x00\x00\x00\x03PUB"
            )
            ready = sub.handshake()
            assert ready.version == (3, minor)
            sub.connection.send_subscribe(b"topic")
            sub.flush()
            recv_exactly(raw, 64)  # our greeting
            assert recv_exactly(raw, 27) == b"\x04\x19\x05READY\x0bSocket-Type\x00\x00\x00\x03SUB"
            assert recv_exactly(raw, len(expected)) == expected


def test_heartbeats_both_ways_keep_an_idle_link_alive(ctx: Any, zmq: ModuleType) -> None:
    router = pyzmq_socket(
        ctx, zmq, "ROUTER", heartbeat_ivl=50, heartbeat_timeout=200, heartbeat_ttl=500
    )
    port = router.bind_to_random_port("tcp://127.0.0.1")
    with BlockingPeer.connect(
        f"tcp://127.0.0.1:{port}",
        "DEALER",
        routing_id=b"idle",
        heartbeat_interval=0.05,
        heartbeat_timeout=0.3,
    ) as dealer:
        dealer.handshake()
        # libzmq pings us (we must PONG) and we ping libzmq (it must PONG);
        # either side would close the link within 0.3 s if the other failed.
        assert dealer.poll(0.8) is None
        dealer.send([b"still here"])
        assert router.recv_multipart() == [b"idle", b"still here"]
    router.close()


def test_our_heartbeat_timeout_detects_a_silent_peer(listener: Listener) -> None:
    with BlockingPeer.connect(
        listener.endpoint, "DEALER", heartbeat_interval=0.05, heartbeat_timeout=0.2
    ) as dealer:
        raw, _ = listener.server.accept()  # completes the handshake, then never answers
        raw.settimeout(10)
        raw.sendall(
            b"\xff"
            + bytes(7)
            + b"\x01\x7f\x03\x01NULL"
            + bytes(48)
            + b"\x04\x1c\x05READY\x0bSocket-Type\x00\x00\x00\x06ROUTER"
        )
        assert isinstance(dealer.next_event(), HandshakeComplete)
        started = time.monotonic()
        closed = dealer.next_event()
        assert isinstance(closed, ConnectionClosed) and "heartbeat timeout" in closed.reason
        assert time.monotonic() - started < 2
        raw.close()


def test_libzmq_closing_abruptly_ends_our_connection(ctx: Any, zmq: ModuleType) -> None:
    router = pyzmq_socket(ctx, zmq, "ROUTER")
    port = router.bind_to_random_port("tcp://127.0.0.1")
    with BlockingPeer.connect(f"tcp://127.0.0.1:{port}", "DEALER") as dealer:
        dealer.handshake()
        router.close()
        closed = dealer.next_event()
        assert closed == ConnectionClosed("peer closed the connection")
