"""Delivery like libzmq: reconnects, heartbeats, high-water marks, partial and failed writes."""

from __future__ import annotations

import itertools
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from zmtp_core import counters

from backends import TrackedContext
from peers import require_pyzmq

PEER = Path(__file__).with_name("peer_process.py")


@pytest.fixture(scope="module")
def zmq() -> ModuleType:
    return require_pyzmq()


@pytest.fixture
def theirs(zmq: ModuleType) -> Iterator[TrackedContext]:
    context = TrackedContext(zmq.Context())
    yield context
    context.close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class PeerProcess:
    """A pyzmq peer in a child process, which a test can kill -9 and start again."""

    def __init__(self, role: str, endpoint: str) -> None:
        self.role, self.endpoint = role, endpoint
        self.process: subprocess.Popen[str] | None = None

    def start(self) -> None:
        for _ in range(50):  # the port may linger in TIME_WAIT for a moment
            self.process = subprocess.Popen(
                [sys.executable, str(PEER), self.role, self.endpoint],
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                text=True,
            )
            assert self.process.stdout is not None
            if self.process.stdout.readline().strip() == "ready":
                return
            self.process.wait(timeout=10)
        raise AssertionError("the peer process did not start")

    def kill(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)
            if self.process.stdout is not None:
                self.process.stdout.close()
            self.process = None


@pytest.fixture
def peer_process() -> Iterator[type[PeerProcess]]:
    started: list[PeerProcess] = []

    class Tracked(PeerProcess):
        def start(self) -> None:
            started.append(self)
            super().start()

    yield Tracked
    for peer in started:
        peer.kill()


def test_reconnect_after_the_peer_process_is_killed_and_restarted(
    ctx: Any, zmtp: ModuleType, peer_process: type[PeerProcess]
) -> None:
    endpoint = f"tcp://127.0.0.1:{free_port()}"
    peer = peer_process("echo-router", endpoint)
    peer.start()
    dealer = ctx.socket(zmtp.DEALER)
    dealer.reconnect_ivl = 20
    dealer.connect(endpoint)
    dealer.send(b"before")
    assert dealer.recv() == b"before"
    peer.kill()
    peer.start()
    # Messages sent after the restart arrive, with no call but send().
    for n in range(5):
        dealer.send(b"after %d" % n)
    assert [dealer.recv() for _ in range(5)] == [b"after %d" % n for n in range(5)]


def test_subscriptions_are_replayed_to_a_restarted_publisher(
    ctx: Any, zmtp: ModuleType, peer_process: type[PeerProcess]
) -> None:
    endpoint = f"tcp://127.0.0.1:{free_port()}"
    publisher = peer_process("publisher", endpoint)
    publisher.start()
    sub = ctx.socket(zmtp.SUB)
    sub.reconnect_ivl = 20
    sub.subscribe(b"news")
    sub.connect(endpoint)
    assert sub.recv_multipart()[0] == b"news"
    publisher.kill()
    while sub.poll(100):
        sub.recv_multipart()  # what was in flight before the kill
    publisher.start()
    topic, count = sub.recv_multipart()
    assert topic == b"news"
    assert int(count) < 100  # the new process's own sequence: we were resubscribed


def test_reconnect_backoff_doubles_up_to_the_maximum(ctx: Any, zmtp: ModuleType) -> None:
    port = free_port()
    attempts: list[float] = []
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", port))
    listener.listen(16)
    listener.settimeout(5)
    try:
        dealer = ctx.socket(zmtp.DEALER)
        dealer.reconnect_ivl = 40
        dealer.reconnect_ivl_max = 160
        dealer.connect(f"tcp://127.0.0.1:{port}")
        for _ in range(5):  # accept and hang up at once: each is a failed peer
            conn, _ = listener.accept()
            attempts.append(time.monotonic())
            conn.close()
    finally:
        listener.close()
    gaps = [b - a for a, b in itertools.pairwise(attempts)]
    # 40 ms doubling to 160 ms, plus up to one interval of jitter, as libzmq.
    assert gaps[0] >= 0.035
    assert gaps[-1] >= 0.15
    assert all(gap < 1.0 for gap in gaps)


def test_heartbeat_timeout_drops_a_peer_that_stops_answering(ctx: Any, zmtp: ModuleType) -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)
    listener.settimeout(5)
    port = listener.getsockname()[1]
    dealer = ctx.socket(zmtp.DEALER)
    dealer.heartbeat_ivl = 50
    dealer.heartbeat_timeout = 200
    dealer.reconnect_ivl = 20
    dealer.connect(f"tcp://127.0.0.1:{port}")
    first, _ = listener.accept()
    first.sendall(  # a peer that completes the handshake, then never reads or answers
        b"\xff"
        + bytes(7)
        + b"\x01\x7f\x03\x01NULL"
        + bytes(48)
        + b"\x04\x1c\x05READY\x0bSocket-Type\x00\x00\x00\x06ROUTER"
    )
    started = time.monotonic()
    second, _ = listener.accept()  # we gave up on the silent peer and reconnected
    assert 0.15 < time.monotonic() - started < 3
    for sock in (first, second, listener):
        sock.close()


def test_dealer_at_sndhwm_raises_again_and_loses_nothing(
    ctx: Any, theirs: Any, zmq: ModuleType, zmtp: ModuleType
) -> None:
    router = theirs.socket(zmq.ROUTER)
    router.rcvhwm = 10
    port = router.bind_to_random_port("tcp://127.0.0.1")
    dealer = ctx.socket(zmtp.DEALER)
    dealer.sndhwm = 10
    dealer.routing_id = b"d"
    dealer.connect(f"tcp://127.0.0.1:{port}")
    dealer.send(b"hello")
    assert router.recv_multipart() == [b"d", b"hello"]  # connected
    payload = bytes(64 * 1024)
    accepted = 0
    try:
        while accepted < 100_000:
            dealer.send_multipart([b"%d" % accepted, payload], zmtp.NOBLOCK)
            accepted += 1
    except zmtp.Again:
        pass
    else:
        raise AssertionError("SNDHWM never pushed back")
    assert accepted > 10  # kernel buffers took some, the pipe took SNDHWM
    for n in range(accepted):
        assert router.recv_multipart() == [b"d", b"%d" % n, payload]
    assert not router.poll(200)


def test_pub_drops_for_a_slow_subscriber_whole_messages_only(
    ctx: Any, theirs: Any, zmq: ModuleType, zmtp: ModuleType
) -> None:
    pub = ctx.socket(zmtp.PUB)
    pub.sndhwm = 5
    pub.bind("tcp://127.0.0.1:*")
    sub = theirs.socket(zmq.SUB)
    sub.rcvhwm = 5
    sub.rcvbuf = 16 * 1024
    sub.subscribe(b"")
    sub.connect(pub.last_endpoint.decode())
    for _ in range(500):
        pub.send_multipart([b"probe"])
        if sub.poll(10):
            break
    while sub.poll(50):
        sub.recv_multipart()
    payload = bytes(16 * 1024)
    for n in range(2000):
        pub.send_multipart([b"%d" % n, payload, b"%d" % n])  # never blocks
    received = []
    while sub.poll(300):
        number, body, again = sub.recv_multipart()
        assert (body, again) == (payload, number)  # never torn
        received.append(int(number))
    assert received == sorted(received)
    assert 0 < len(received) < 2000  # a gap: the slow subscriber missed some


def test_partial_writes_with_a_tiny_send_buffer(
    ctx: Any, theirs: Any, zmq: ModuleType, zmtp: ModuleType, debug_counters: Any
) -> None:
    pull = theirs.socket(zmq.PULL)
    port = pull.bind_to_random_port("tcp://127.0.0.1")
    for sndbuf in (2048, 4096, 8192):
        push = ctx.socket(zmtp.PUSH)
        push.sndbuf = sndbuf
        push.connect(f"tcp://127.0.0.1:{port}")
        sizes = [16 * 1024, 64 * 1024, 256 * 1024]
        for size in sizes:
            push.send_multipart([b"%d" % size, bytes(range(256)) * (size // 256)])
        for size in sizes:
            assert pull.recv_multipart() == [b"%d" % size, bytes(range(256)) * (size // 256)]
        push.close()
    assert debug_counters.partial_write_count > 0


def test_abrupt_close_mid_stream_is_survived_and_reconnected(
    ctx: TrackedContext, zmtp: ModuleType, peer_process: type[PeerProcess]
) -> None:
    """The peer dies with unread data (the kernel resets the connection) mid-stream."""
    endpoint = f"tcp://127.0.0.1:{free_port()}"
    peer = peer_process("echo-router", endpoint)
    peer.start()
    dealer = ctx.socket(zmtp.DEALER)
    dealer.reconnect_ivl = 20
    dealer.connect(endpoint)
    dealer.send(b"first")
    assert dealer.recv() == b"first"
    for n in range(300):  # mid-stream...
        dealer.send_multipart([b"%d" % n, bytes(20_000)])
    peer.kill()  # ...the peer vanishes without reading
    for n in range(50):  # and no exception reaches the application
        dealer.send_multipart([b"during %d" % n])
    peer.start()
    dealer.send(b"after")
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        if dealer.poll(100) and dealer.recv_multipart()[-1] == b"after":
            return
    raise AssertionError("no reconnect after the abrupt close")


@pytest.mark.parametrize("zmtp", ["selectors"], indirect=True)  # asyncio: per loop iteration
def test_batching_a_burst_leaves_in_few_writes(
    ctx: TrackedContext,
    theirs: TrackedContext,
    zmq: ModuleType,
    zmtp: ModuleType,
    debug_counters: Any,
) -> None:
    pull = theirs.socket(zmq.PULL)  # libzmq reads in its own thread, off our GIL
    port = pull.bind_to_random_port("tcp://127.0.0.1")
    push = ctx.socket(zmtp.PUSH)
    push.connect(f"tcp://127.0.0.1:{port}")
    push.send(b"warm-up")
    assert pull.recv() == b"warm-up"
    time.sleep(0.01)  # a quiet spell, so the next message is "lone"
    debug_counters.reset()
    for n in range(1000):
        push.send(b"%d" % n)
    assert [pull.recv() for _ in range(1000)] == [b"%d" % n for n in range(1000)]
    assert debug_counters.batch_messages_total == 1000
    # Without batching this is 1000 writes; the window and the count cap make it
    # a few dozen (the bound leaves room for a busy machine).
    assert debug_counters.batch_flush_count <= 200
    assert debug_counters.batch_count_flush_count + debug_counters.batch_timeout_flush_count > 0


@pytest.mark.parametrize("zmtp", ["selectors"], indirect=True)  # asyncio: per loop iteration
def test_a_lone_message_and_a_large_one_are_not_held(
    ctx: Any, zmtp: ModuleType, debug_counters: Any
) -> None:
    pull = ctx.socket(zmtp.PULL)
    pull.bind("tcp://127.0.0.1:*")
    push = ctx.socket(zmtp.PUSH)
    push.connect(pull.last_endpoint.decode())
    push.send(b"warm-up")
    assert pull.recv() == b"warm-up"
    time.sleep(0.01)
    debug_counters.reset()
    push.send(b"lone")
    assert debug_counters.batch_flush_count == 1  # written inside send()
    push.send(b"small")
    push.send(bytes(100_000))  # flushes "small" with it, at once
    assert debug_counters.batch_size_flush_count == 1
    assert [pull.recv() for _ in range(3)] == [b"lone", b"small", bytes(100_000)]


def test_batching_switched_off_by_environment(
    ctx: Any, zmtp: ModuleType, debug_counters: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ZMTP_WRITE_BATCHING", "0")
    pull = ctx.socket(zmtp.PULL)
    pull.bind("tcp://127.0.0.1:*")
    push = ctx.socket(zmtp.PUSH)
    push.connect(pull.last_endpoint.decode())
    for n in range(200):
        push.send(b"%d" % n)
    assert [pull.recv() for _ in range(200)] == [b"%d" % n for n in range(200)]
    assert debug_counters.batch_flush_count == 0


def test_large_messages_copy_only_headers(ctx: Any, zmtp: ModuleType, debug_counters: Any) -> None:
    pull = ctx.socket(zmtp.PULL)
    pull.bind("tcp://127.0.0.1:*")
    push = ctx.socket(zmtp.PUSH)
    push.connect(pull.last_endpoint.decode())
    push.send(b"warm-up")
    assert pull.recv() == b"warm-up"
    payload = bytes(range(256)) * 256  # 64 KiB
    counters.reset()
    for _ in range(20):
        push.send(payload, copy=False)
    for _ in range(20):
        assert pull.recv(copy=False).buffer == payload
    assert debug_counters.zerocopy_count == 20
    assert debug_counters.bytes_copied == 20 * 9  # long headers only, on write
    # On read, only what the first read pulled in with a header may be copied.
    assert debug_counters.read_bytes_copied <= 65536


def test_a_message_begun_with_sndmore_goes_on_with_the_next_send(
    ctx: Any, zmtp: ModuleType
) -> None:
    """circus begins messages with send(part, SNDMORE) and send_multipart(parts,
    SNDMORE): the next send finishes them, as in pyzmq."""
    push, pull = ctx.socket(zmtp.PUSH), ctx.socket(zmtp.PULL)
    pull.bind("tcp://127.0.0.1:*")
    push.connect(pull.last_endpoint)
    push.send(b"one", zmtp.SNDMORE)
    push.send(b"two")
    push.send_multipart([b"x", b"y"], flags=zmtp.SNDMORE)
    push.send_multipart([b"z"])
    push.send(b"p", zmtp.SNDMORE)
    push.send_multipart([b"q", b"r"])
    received = [pull.recv_multipart() for _ in range(3)]
    assert received == [[b"one", b"two"], [b"x", b"y", b"z"], [b"p", b"q", b"r"]]
