"""The interop matrix: every valid socket pair, ours on each side, against libzmq.

pyzmq (libzmq 4.3.5) is the other side. For each pair, each transport, and
ours on either end (binding in one case, connecting in the other), multipart
messages of 0 B to 256 KiB go both ways where the pattern allows, and must
arrive byte for byte.
"""

from __future__ import annotations

from collections.abc import Iterator
from types import ModuleType
from typing import Any

import pytest

from backends import BACKENDS, TrackedContext, endpoint_pair
from peers import require_pyzmq

# The matrix also runs on uvloop (the asyncio backend's other event loop).
pytestmark = pytest.mark.parametrize("zmtp", [*BACKENDS, "asyncio+uvloop"], indirect=True)

SIZES = [0, 1, 255, 256, 8191, 8192, 65536, 262144]

PAIRS = [
    ("PAIR", "PAIR"),
    ("PUB", "SUB"),
    ("PUB", "XSUB"),
    ("XPUB", "SUB"),
    ("XPUB", "XSUB"),
    ("REQ", "REP"),
    ("REQ", "ROUTER"),
    ("DEALER", "REP"),
    ("DEALER", "ROUTER"),
    ("DEALER", "DEALER"),
    ("ROUTER", "ROUTER"),
    ("PUSH", "PULL"),
]


def body(size: int, seed: int) -> bytes:
    pattern = bytes((seed * 7 + i) % 251 for i in range(251))
    return (pattern * (size // 251 + 1))[:size]


def messages(seed: int) -> list[list[bytes]]:
    """Multipart messages covering every size, each frame distinct."""
    return [
        [b"m%d" % n, body(size, seed + n), b"", body(size // 3, seed + n + 1)]
        for n, size in enumerate(SIZES)
    ]


@pytest.fixture(scope="module")
def zmq() -> ModuleType:
    return require_pyzmq()


@pytest.fixture
def contexts(zmq: ModuleType, zmtp: ModuleType) -> Iterator[tuple[Any, Any]]:
    theirs, ours = TrackedContext(zmq.Context()), TrackedContext(zmtp.Context())
    yield theirs, ours
    ours.close()
    theirs.close()


def make_pair(
    contexts: tuple[Any, Any],
    modules: tuple[ModuleType, ModuleType],
    kinds: tuple[str, str],
    *,
    ours_first: bool,
    transport: str,
) -> tuple[Any, Any]:
    """(first, second) sockets of the pair: one ours, one pyzmq's; the first binds iff ours."""
    theirs_ctx, ours_ctx = contexts
    zmq, zmtp = modules
    first_mod, second_mod = (zmtp, zmq) if ours_first else (zmq, zmtp)
    first_ctx, second_ctx = (ours_ctx, theirs_ctx) if ours_first else (theirs_ctx, ours_ctx)
    first = first_ctx.socket(getattr(first_mod, kinds[0]))
    second = second_ctx.socket(getattr(second_mod, kinds[1]))
    # Ours binds when it is first, connects when it is second: both roles covered.
    for sock, name in ((first, b"first"), (second, b"second")):
        if kinds[0] == kinds[1] == "ROUTER":
            sock.routing_id = name
            sock.router_mandatory = 1
    if transport == "tcp6":
        second.ipv6 = True  # libzmq, like zmtp, needs the option on both ends
    address = endpoint_pair(transport, first)
    second.connect(address)
    return first, second


def router_router_ready(first: Any, second: Any) -> None:
    """ROUTER_MANDATORY says when the handshake made each peer routable."""
    for sock, peer in ((second, b"first"), (first, b"second")):
        for _ in range(500):
            try:
                sock.send_multipart([peer, b"hello"])
                break
            except Exception as error:  # EHOSTUNREACH until the handshake is done
                if getattr(error, "errno", None) not in (113,):
                    raise
                sock.poll(10)
        else:
            raise AssertionError("peer never became routable")
    assert first.recv_multipart() == [b"second", b"hello"]
    assert second.recv_multipart() == [b"first", b"hello"]


def exchange(kinds: tuple[str, str], first: Any, second: Any) -> None:
    a, b = kinds
    outgoing = messages(1)
    returning = messages(2)
    if (a, b) in {("PUB", "SUB"), ("XPUB", "SUB"), ("PUB", "XSUB"), ("XPUB", "XSUB")}:
        if b == "SUB":
            second.subscribe(b"m")
        else:
            second.send(b"\x01m")
        if a == "XPUB":
            assert first.recv() == b"\x01m"  # the subscription, as XPUB reports it
        wait_subscribed_filtered(first, second)
        for message in outgoing:
            first.send_multipart(message)
        for message in outgoing:
            assert second.recv_multipart() == message
        if (a, b) == ("XPUB", "XSUB"):
            second.send_multipart([b"upstream", body(70000, 3)])  # XSUB may talk back
            assert first.recv_multipart() == [b"upstream", body(70000, 3)]
        return
    if (a, b) == ("PUSH", "PULL"):
        for message in outgoing:
            first.send_multipart(message)
        for message in outgoing:
            assert second.recv_multipart() == message
        return
    if (a, b) == ("ROUTER", "ROUTER"):
        router_router_ready(first, second)
        for message in outgoing:
            second.send_multipart([b"first", *message])
            assert first.recv_multipart() == [b"second", *message]
            first.send_multipart([b"second", *message])
            assert second.recv_multipart() == [b"first", *message]
        return
    for request, reply in zip(outgoing, returning, strict=True):
        if a in ("PAIR", "DEALER") and b in ("PAIR", "DEALER", "ROUTER"):
            first.send_multipart(request)
            got = second.recv_multipart()
            if b == "ROUTER":
                peer, *got = got
            assert got == request
            second.send_multipart([peer, *reply] if b == "ROUTER" else reply)
            assert first.recv_multipart() == reply
        elif (a, b) == ("DEALER", "REP"):
            first.send_multipart([b"", *request])
            assert second.recv_multipart() == request
            second.send_multipart(reply)
            assert first.recv_multipart() == [b"", *reply]
        elif a == "REQ":
            first.send_multipart(request)
            got = second.recv_multipart()
            if b == "ROUTER":
                peer, delimiter, *got = got
                assert delimiter == b""
            assert got == request
            second.send_multipart([peer, b"", *reply] if b == "ROUTER" else reply)
            assert first.recv_multipart() == reply
        else:
            raise AssertionError(f"no scenario for {kinds}")


def wait_subscribed_filtered(pub: Any, sub: Any) -> None:
    """Probes start with the subscribed prefix 'm' so the subscriber keeps them."""
    for _ in range(500):
        pub.send_multipart([b"m-probe"])
        if sub.poll(10):
            assert sub.recv_multipart() == [b"m-probe"]
            while sub.poll(50):
                assert sub.recv_multipart() == [b"m-probe"]
            return
    raise AssertionError("the subscription never reached the publisher")


@pytest.mark.parametrize("transport", ["tcp", "ipc"])
@pytest.mark.parametrize("ours_first", [True, False], ids=["ours-first", "ours-second"])
@pytest.mark.parametrize("kinds", PAIRS, ids=["-".join(p) for p in PAIRS])
def test_interop(
    contexts: tuple[Any, Any],
    zmq: ModuleType,
    zmtp: ModuleType,
    kinds: tuple[str, str],
    ours_first: bool,
    transport: str,
) -> None:
    first, second = make_pair(
        contexts, (zmq, zmtp), kinds, ours_first=ours_first, transport=transport
    )
    try:
        exchange(kinds, first, second)
    finally:
        first.close()
        second.close()


def test_ipv6_loopback(contexts: tuple[Any, Any], zmq: ModuleType, zmtp: ModuleType) -> None:
    for ours_first in (True, False):
        first, second = make_pair(
            contexts, (zmq, zmtp), ("DEALER", "ROUTER"), ours_first=ours_first, transport="tcp6"
        )
        try:
            exchange(("DEALER", "ROUTER"), first, second)
        finally:
            first.close()
            second.close()
