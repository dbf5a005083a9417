"""ZMTP 1.0 and 2.0 peers over loopback: we must answer them byte for byte as libzmq does.

A raw TCP peer plays an old libzmq (2.x speaks unversioned ZMTP 1.0, 3.x
speaks ZMTP 2.0; revision 0 is the versioned 1.0 between them). It runs the
same script against pyzmq's libzmq 4.3 and against a zmtp backend and records
every byte it receives: the two transcripts must be equal, and the messages
must cross both ways.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from contextlib import closing
from types import ModuleType
from typing import Any

import pytest
from test_zmtp_legacy import signature, v1_frame, v2_frame

import backends
from backends import TrackedContext
from peers import require_pyzmq

DEALER, PUB = 5, 1
#: version -> (revision byte, framing); None is unversioned ZMTP 1.0: no signature.
VERSIONS: dict[str, tuple[int, Callable[..., bytes]] | None] = {
    "1.0 unversioned": None,
    "1.0": (0, v1_frame),
    "2.0": (1, v2_frame),
}


class RawPeer:
    """One TCP connection that records what it receives."""

    def __init__(self, sock: socket.socket, version: str) -> None:
        sock.settimeout(10)
        self.sock = sock
        self.revision = VERSIONS[version]
        self.frame = v1_frame if self.revision is None else self.revision[1]
        self.received: list[bytes] = []

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def expect(self, size: int) -> bytes:
        data = b""
        while len(data) < size:
            chunk = self.sock.recv(size - len(data))
            assert chunk, f"the socket under test closed after {len(data)} of {size} bytes"
            data += chunk
        self.received.append(data)
        return data

    def greet(self, socket_type: int, identity: bytes, their_identity: bytes) -> None:
        """The old peer's side of the greeting and identities, as old libzmq plays it."""
        if self.revision is None:  # libzmq 2.x: its identity message, nothing before
            self.send(v1_frame(identity))
            self.expect(10 + len(their_identity))  # a signature that heads their identity
            return
        self.expect(10)
        self.send(signature(len(identity)))
        self.expect(1)  # the major version
        self.send(bytes((self.revision[0], socket_type)))
        self.expect(1)  # their socket type, where 3.x has its minor version
        self.send(self.frame(identity))
        self.expect(len(self.frame(their_identity)))


def dial(bound: Any) -> closing[socket.socket]:
    """Bind ``bound`` on loopback and connect a raw TCP socket to it."""
    bound.bind("tcp://127.0.0.1:0")
    port = int(bound.last_endpoint.decode().rsplit(":", 1)[1])
    return closing(socket.create_connection(("127.0.0.1", port), timeout=10))


def router_binds(zmq: ModuleType, ctx: Any, version: str) -> list[bytes]:
    router = ctx.socket(zmq.ROUTER)
    with dial(router) as sock:
        peer = RawPeer(sock, version)
        peer.greet(DEALER, b"old", b"")
        peer.send(peer.frame(b"one", more=True) + peer.frame(b"x" * 300))
        assert router.recv_multipart() == [b"old", b"one", b"x" * 300]
        router.send_multipart([b"old", b"two", b"y" * 70000])
        peer.expect(len(peer.frame(b"two", more=True) + peer.frame(b"y" * 70000)))
        return peer.received


def sub_connects(zmq: ModuleType, ctx: Any, version: str) -> list[bytes]:
    with closing(socket.create_server(("127.0.0.1", 0))) as listener:
        listener.settimeout(10)
        sub = ctx.socket(zmq.SUB)
        sub.setsockopt(zmq.ROUTING_ID, b"sub")
        sub.setsockopt(zmq.SUBSCRIBE, b"t")
        sub.connect(f"tcp://127.0.0.1:{listener.getsockname()[1]}")
        sock, _ = listener.accept()
    with closing(sock):
        peer = RawPeer(sock, version)
        peer.greet(PUB, b"", b"sub")
        peer.expect(len(peer.frame(b"\x01t")))  # the subscription, as a data frame
        peer.send(peer.frame(b"nope") + peer.frame(b"t1"))
        assert sub.recv() == b"t1"  # (libzmq filters at the SUB for a ZMTP 1.0 PUB)
        return peer.received


def xpub_binds(zmq: ModuleType, ctx: Any, version: str) -> list[bytes]:
    xpub = ctx.socket(zmq.XPUB)
    with dial(xpub) as sock:
        peer = RawPeer(sock, version)
        peer.greet(2, b"", b"")
        if peer.revision is not None:
            peer.send(peer.frame(b"\x01"))  # a ZMTP 2.0 SUB subscribes; 1.0 gets everything
        assert xpub.recv() == b"\x01"  # (for unversioned 1.0: the phantom subscription)
        xpub.send(b"news")
        peer.expect(len(peer.frame(b"news")))
        return peer.received


SCRIPTS = {"ROUTER binds": router_binds, "SUB connects": sub_connects, "XPUB binds": xpub_binds}


@pytest.fixture(scope="module")
def libzmq_transcripts() -> dict[tuple[str, str], list[bytes]]:
    """What libzmq answers, once per script and version."""
    zmq = require_pyzmq()
    transcripts: dict[tuple[str, str], list[bytes]] = {}
    ctx = TrackedContext(zmq.Context())
    try:
        for script_name, script in SCRIPTS.items():
            for version in VERSIONS:
                transcripts[script_name, version] = script(zmq, ctx, version)
    finally:
        ctx.close()
    return transcripts


@pytest.mark.parametrize("backend", backends.BACKENDS)
@pytest.mark.parametrize("version", list(VERSIONS))
@pytest.mark.parametrize("script_name", list(SCRIPTS))
def test_an_old_peer_gets_libzmqs_bytes(
    libzmq_transcripts: dict[tuple[str, str], list[bytes]],
    backend: str,
    version: str,
    script_name: str,
) -> None:
    zmtp = backends.load(backend)
    ctx = TrackedContext(zmtp.Context())
    try:
        ours = SCRIPTS[script_name](zmtp, ctx, version)
    finally:
        ctx.close()
    assert ours == libzmq_transcripts[script_name, version]
