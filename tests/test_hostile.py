"""Peers that attack and callers that pass nonsense: bounded memory, libzmq's errors.

Each attack comes from plain sockets on loopback against a zmtp socket of every
backend. Memory is measured with tracemalloc (what Python allocated, so the
numbers do not depend on the allocator or the machine), and freed objects are
counted after a garbage collection.
"""

from __future__ import annotations

import contextlib
import errno
import gc
import socket
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

import pytest

from zmtp_core._greeting import encode_greeting
from zmtp_core._link import Link
from zmtp_core.connection import Connection

from backends import TrackedContext

MiB = 1024 * 1024


def settle(condition: Callable[[], bool], timeout: float = 10.0) -> bool:
    """Wait for the background I/O to reach a state (bounded; no sleeping as a guess)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.005)
    return condition()


def tcp_address(endpoint: bytes) -> tuple[str, int]:
    host, _, port = endpoint.decode().removeprefix("tcp://").rpartition(":")
    return host, int(port)


def handshaken(address: tuple[str, int], socket_type: str = "DEALER") -> socket.socket:
    """A plain socket that went through a NULL handshake (a core Connection spoke it)."""
    raw = socket.create_connection(address)
    raw.settimeout(10)
    peer = Connection(socket_type)
    while peer.state.name != "TRAFFIC":
        while peer.bytes_to_send:
            peer.sent(raw.sendmsg(peer.buffers_to_send()))
        view = peer.receive_buffer()
        peer.received(raw.recv_into(view))
        while peer.next_event().__class__.__name__ not in ("NeedData", "ConnectionClosed"):
            pass
    while peer.bytes_to_send:  # our READY
        peer.sent(raw.sendmsg(peer.buffers_to_send()))
    return raw


def links_of(sock: Any) -> int:
    return len(sock._engine.connections)


def all_accepted(ctx: TrackedContext, zmtp: Any, router: Any) -> None:
    """Every connection made so far has been accepted and has ended (accepts are in
    order: once a marker peer is through, so are all before it)."""
    marker = ctx.socket(zmtp.DEALER)
    marker.routing_id = b"marker"
    marker.connect(router.last_endpoint.decode())
    marker.send(b"through")
    assert router.recv_multipart() == [b"marker", b"through"]
    marker.close()
    assert settle(lambda: links_of(router) == 0)


def live(kind: type) -> int:
    gc.collect()
    return sum(1 for obj in gc.get_objects() if type(obj) is kind)


def test_peers_announcing_huge_frames_before_their_handshake_cost_a_small_budget(
    ctx: TrackedContext, zmtp: Any
) -> None:
    router = ctx.socket(zmtp.ROUTER)
    router.bind("tcp://127.0.0.1:*")
    address = tcp_address(router.last_endpoint)
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        attackers = []
        for _ in range(30):
            attacker = socket.create_connection(address)
            attackers.append(attacker)
            # A greeting, then a command frame announcing 16 MiB (and a little of it).
            with contextlib.suppress(ConnectionError):  # (we may be gone already)
                attacker.sendall(
                    encode_greeting(b"NULL", 0) + b"\x06" + (16 * MiB).to_bytes(8, "big")
                )
                attacker.sendall(b"x" * 1000)
        for attacker in attackers:  # each is dropped: refused before its handshake
            attacker.settimeout(10)
            with contextlib.suppress(ConnectionError):
                while attacker.recv(65536):
                    pass
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
        for attacker in attackers:
            attacker.close()
    assert held < 2 * MiB, f"{held / MiB:.1f} MiB held for 30 peers (was 480 MiB)"
    assert settle(lambda: links_of(router) == 0)


def test_closed_connections_are_freed_at_once(ctx: TrackedContext, zmtp: Any) -> None:
    router = ctx.socket(zmtp.ROUTER)
    router.bind("tcp://127.0.0.1:*")
    address = tcp_address(router.last_endpoint)
    baseline_links, baseline_connections = live(Link), live(Connection)
    for _ in range(100):  # 73 bytes and gone: a greeting and a bit of a READY
        attacker = socket.create_connection(address)
        attacker.sendall(encode_greeting(b"NULL", 0) + b"\x04\x07\x05READY")
        attacker.close()
    for _ in range(100):  # a whole handshake, then gone
        handshaken(address).close()
    all_accepted(ctx, zmtp, router)
    # Nothing of the 200 connections is left: no timer, no registry holds them.
    assert live(Link) <= baseline_links
    assert live(Connection) <= baseline_connections


def test_sockets_connected_and_closed_in_a_loop_leave_nothing(
    ctx: TrackedContext, zmtp: Any
) -> None:
    router = ctx.socket(zmtp.ROUTER)
    router.bind("tcp://127.0.0.1:*")
    endpoint = router.last_endpoint.decode()
    baseline_links = live(Link)
    for _ in range(150):
        dealer = ctx.context.socket(zmtp.DEALER)
        dealer.linger = 0
        dealer.connect(endpoint)
        dealer.close()
    all_accepted(ctx, zmtp, router)
    assert live(Link) <= baseline_links


def test_a_peer_flooding_pings_without_reading_gets_one_pong(
    ctx: TrackedContext, zmtp: Any
) -> None:
    router = ctx.socket(zmtp.ROUTER)
    router.sndbuf = 4096  # the kernel takes little of what we send back
    router.bind("tcp://127.0.0.1:*")
    attacker = handshaken(tcp_address(router.last_endpoint))
    attacker.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # and it never reads
    assert settle(lambda: links_of(router) == 1)
    (link,) = router._engine.connections.values()
    assert settle(lambda: link.state.ready)  # (our READY was read: what follows is PINGs only)
    start = link.connection._reader.bytes_received
    body = b"\x04PING\x00\x00" + b"c" * 8  # a PING with an 8-byte context
    ping = bytes((0x04, len(body))) + body
    attacker.sendall(ping * 100_000)  # 1.7 MB of PINGs: as much in PONGs, were they all sent
    assert settle(lambda: link.connection._reader.bytes_received - start == len(ping) * 100_000)
    assert link.conn.bytes_to_send < 1024  # one PONG waits, not a hundred thousand
    attacker.close()


def test_options_out_of_range_are_refused_like_libzmq(ctx: TrackedContext, zmtp: Any) -> None:
    sock = ctx.socket(zmtp.DEALER)
    for name, value in [
        ("RECONNECT_IVL", 2**45),
        ("SNDBUF", 2**40),
        ("RCVTIMEO", 2**45),
        ("LINGER", 2**31),
        ("SNDHWM", 2**31),
        ("HEARTBEAT_IVL", 2**31),
        ("BACKLOG", 2**40),
    ]:
        with pytest.raises(zmtp.ZMQError) as info:
            setattr(sock, name.lower(), value)
        assert info.value.errno == errno.EINVAL
        assert isinstance(info.value, OverflowError)  # (what pyzmq raises for these)
    for name, value in [("RCVHWM", -2), ("SNDTIMEO", -2), ("TCP_KEEPALIVE", 5)]:
        with pytest.raises(zmtp.ZMQError) as info:
            setattr(sock, name.lower(), value)
        assert info.value.errno == errno.EINVAL
    sock.linger = 2**31 - 1  # the largest int is fine
    sock.maxmsgsize = 2**62  # an int64 option


def test_a_far_reconnect_interval_does_not_stop_the_io(ctx: TrackedContext, zmtp: Any) -> None:
    refused = socket.socket()
    refused.bind(("127.0.0.1", 0))
    port = refused.getsockname()[1]
    refused.close()  # nobody listens there
    lonely = ctx.socket(zmtp.DEALER)
    lonely.reconnect_ivl = 2**31 - 1  # about 25 days
    lonely.connect(f"tcp://127.0.0.1:{port}")
    pull = ctx.socket(zmtp.PULL)
    pull.bind("tcp://127.0.0.1:*")
    push = ctx.socket(zmtp.PUSH)
    push.connect(pull.last_endpoint.decode())
    push.send(b"still flowing")
    assert pull.recv() == b"still flowing"


def test_long_ipc_paths_are_enametoolong_and_attach_nothing(ctx: TrackedContext, zmtp: Any) -> None:
    sock = ctx.socket(zmtp.PUSH)
    for call in (sock.connect, sock.bind):
        with pytest.raises(zmtp.ZMQError) as info:
            call("ipc:///tmp/" + "a" * 200)
        assert info.value.errno == errno.ENAMETOOLONG
    with pytest.raises(zmtp.Again):  # nothing was attached: no peer to queue for
        sock.send(b"goes nowhere", zmtp.NOBLOCK)
    assert zmtp.IPC_PATH_MAX_LEN == 107


@pytest.mark.parametrize(
    ("endpoint", "error"),
    [
        ("tcp://127.0.0.1", errno.EINVAL),
        ("tcp://*:abc", errno.EINVAL),
        ("foo://x", errno.EPROTONOSUPPORT),
        ("inproc://", errno.EINVAL),
        ("ipc://", errno.EINVAL),
        ("tcp://127.0.0.1:-1", errno.EINVAL),
    ],
)
def test_malformed_endpoints_get_libzmqs_errno(
    ctx: TrackedContext, zmtp: Any, endpoint: str, error: int
) -> None:
    sock = ctx.socket(zmtp.DEALER)
    with pytest.raises(zmtp.ZMQError) as info:
        sock.connect(endpoint)
    assert info.value.errno == error
    with pytest.raises(zmtp.Again):
        sock.send(b"x", zmtp.NOBLOCK)


FORK_CHILD = """
import os, sys, zmtp_selectors as zmq
parent = zmq.Context.instance()
push = parent.socket(zmq.PUSH)
pid = os.fork()
if pid == 0:
    child = zmq.Context.instance()
    assert child is not parent, "the child must get a fresh instance"
    try:
        push.send(b"x")
    except zmq.ZMQError as error:
        assert error.errno == zmq.ETERM and "fork" in str(error), error
    else:
        raise AssertionError("the parent's socket worked in the child")
    parent.term()  # returns at once: nothing of it runs here
    pull = child.socket(zmq.PULL)
    pull.bind("tcp://127.0.0.1:*")
    out = child.socket(zmq.PUSH)
    out.connect(pull.last_endpoint.decode())
    out.send(b"child works")
    assert pull.recv() == b"child works"
    child.destroy(linger=0)
    os._exit(0)
_, status = os.waitpid(pid, 0)
push.close(linger=0)
parent.term()
sys.exit(os.waitstatus_to_exitcode(status))
"""


def test_a_context_does_not_survive_fork_and_instance_gives_the_child_its_own() -> None:
    result = subprocess.run(
        [sys.executable, "-c", FORK_CHILD], capture_output=True, text=True, timeout=30, check=False
    )
    assert result.returncode == 0, result.stderr
