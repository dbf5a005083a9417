"""tls://, ws:// and wss:// on every backend, and against real peers.

ws: Debian's libzmq5 (4.3.4, built with ws) through ctypes, ours on either
end. tls: a pyzmq ROUTER behind socat's OPENSSL-LISTEN, and ours on both ends.
Every message must arrive byte for byte; a refused certificate must deliver
nothing, say why, and leave the socket working for good peers.
"""

from __future__ import annotations

import logging
import re
import shutil
import subprocess
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import pytest

from backends import TrackedContext
from certs import Certificates
from libzmq5 import require_libzmq5
from peers import missing, require_pyzmq

SIZES = [0, 1, 255, 256, 65536, 262144]
LIBZMQ_TYPES = {"PUB": 1, "SUB": 2, "DEALER": 5, "ROUTER": 6}


def body(size: int, seed: int) -> bytes:
    pattern = bytes((seed * 7 + i) % 251 for i in range(251))
    return (pattern * (size // 251 + 1))[:size]


def messages(seed: int = 0) -> list[list[bytes]]:
    return [[b"m%d" % n, body(size, seed + n), b""] for n, size in enumerate(SIZES)]


def tls_server(ctx: TrackedContext, zmtp: ModuleType, kind: str, url: str, cert: str) -> Any:
    sock = ctx.socket(getattr(zmtp, kind))
    sock.tls_cert = cert
    sock.bind(url)
    return sock


# -- ours <-> ours ----------------------------------------------------------------


@pytest.mark.parametrize("transport", ["ws", "wss", "tls"])
def test_our_sockets_over_each_layered_transport(
    ctx: TrackedContext, zmtp: ModuleType, certs: Certificates, transport: str
) -> None:
    url = f"{transport}://127.0.0.1:*" + ("/zeromq" if transport != "tls" else "")
    router = ctx.socket(zmtp.ROUTER)
    if transport != "ws":
        router.tls_cert = certs.server
    router.bind(url)
    endpoint = router.last_endpoint.decode()
    assert re.fullmatch(rf"{transport}://127\.0\.0\.1:\d+(/zeromq)?", endpoint), endpoint
    dealer = ctx.socket(zmtp.DEALER)
    dealer.routing_id = b"dealer"
    dealer.tls_ca = certs.ca
    dealer.connect(endpoint)
    for message in messages():
        dealer.send_multipart(message)
    for message in messages():
        assert router.recv_multipart() == [b"dealer", *message]
    for message in messages(3):
        router.send_multipart([b"dealer", *message])
    for message in messages(3):
        assert dealer.recv_multipart() == message


@pytest.mark.parametrize("transport", ["ws", "tls"])
def test_a_garbage_peer_loses_only_its_own_connection(
    ctx: TrackedContext, zmtp: ModuleType, certs: Certificates, transport: str
) -> None:
    import socket  # noqa: PLC0415

    pull = tls_server(ctx, zmtp, "PULL", f"{transport}://127.0.0.1:*", certs.server)
    port = int(pull.last_endpoint.decode().split(":")[2].split("/")[0])
    intruders = []
    for garbage in (
        b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
        b"\x16\x03\x01garbage" * 50,
        b"\x00" * 64,
    ):
        intruder = socket.create_connection(("127.0.0.1", port))
        intruder.sendall(garbage)
        intruders.append(intruder)
    push = ctx.socket(zmtp.PUSH)
    push.tls_ca = certs.ca
    push.connect(pull.last_endpoint.decode())
    push.send(b"still working")
    assert pull.recv() == b"still working"
    for intruder in intruders:
        intruder.settimeout(5)
        while intruder.recv(4096):  # each one is closed by us, with nothing delivered
            pass
        intruder.close()


@pytest.mark.parametrize("transport", ["tls", "wss"])
def test_partial_writes_with_a_tiny_send_buffer(
    ctx: TrackedContext,
    zmtp: ModuleType,
    certs: Certificates,
    transport: str,
    debug_counters: Any,
) -> None:
    pull = ctx.socket(zmtp.PULL)
    pull.tls_cert = certs.server
    pull.bind(f"{transport}://127.0.0.1:*")
    push = ctx.socket(zmtp.PUSH)
    push.sndbuf = 4096
    push.tls_ca = certs.ca
    push.connect(pull.last_endpoint.decode())
    sizes = [16 * 1024, 64 * 1024, 256 * 1024, 256 * 1024]
    for size in sizes:
        push.send_multipart([b"%d" % size, body(size, size)])
    for size in sizes:
        assert pull.recv_multipart() == [b"%d" % size, body(size, size)]
    assert debug_counters.partial_write_count > 0


def test_client_certificates_required_refuse_the_anonymous_only(
    ctx: TrackedContext, zmtp: ModuleType, certs: Certificates, caplog: pytest.LogCaptureFixture
) -> None:
    pull = tls_server(ctx, zmtp, "PULL", "tls://127.0.0.1:*", certs.server)
    pull.tls_ca = certs.ca
    pull.tls_require_client_cert = 1
    pull.unbind(pull.last_endpoint.decode())  # (options are read at bind time)
    pull.bind("tls://127.0.0.1:*")
    endpoint = pull.last_endpoint.decode()
    anonymous = ctx.socket(zmtp.PUSH)
    anonymous.tls_ca = certs.ca
    anonymous.connect(endpoint)
    anonymous.send(b"from nobody")
    known = ctx.socket(zmtp.PUSH)
    known.tls_ca = certs.ca
    known.tls_cert = certs.client
    known.connect(endpoint)
    known.send(b"from a known client")
    assert pull.recv() == b"from a known client"
    assert pull.poll(200) == 0  # the anonymous one never got through
    assert "certificate" in caplog.text  # and the reason was told


@pytest.mark.parametrize(
    ("case", "reason"),
    [
        ("wrong CA", "unable to get local issuer certificate"),
        ("wrong hostname", "Hostname mismatch"),
        ("expired", "certificate has expired"),
    ],
)
def test_a_refused_server_gets_nothing_and_the_socket_goes_on(
    ctx: TrackedContext,
    zmtp: ModuleType,
    certs: Certificates,
    caplog: pytest.LogCaptureFixture,
    case: str,
    reason: str,
) -> None:
    bad_cert = {"wrong CA": certs.impostor, "expired": certs.expired}.get(case, certs.server)
    bad = tls_server(ctx, zmtp, "PULL", "tls://127.0.0.1:*", bad_cert)
    good = tls_server(ctx, zmtp, "PULL", "tls://127.0.0.1:*", certs.server)
    push = ctx.socket(zmtp.PUSH)
    push.immediate = 1  # only connected peers take messages
    push.tls_ca = certs.ca
    if case == "wrong hostname":
        push.tls_hostname = "elsewhere.example"
    push.connect(bad.last_endpoint.decode())
    if case == "wrong hostname":
        push.tls_hostname = ""
    push.connect(good.last_endpoint.decode())
    with caplog.at_level(logging.WARNING, logger="zmtp"):
        for n in range(20):
            push.send(b"%d" % n)
        assert [good.recv() for _ in range(20)] == [b"%d" % n for n in range(20)]
        assert bad.poll(100) == 0
    assert reason in caplog.text


# -- ws against libzmq --------------------------------------------------------------


@pytest.fixture
def libzmq() -> Iterator[Any]:
    context = require_libzmq5().context()
    yield context
    context.term()


@pytest.mark.parametrize("ours_bind", [True, False], ids=["ours-bind", "ours-connect"])
@pytest.mark.parametrize(("ours", "theirs"), [("DEALER", "ROUTER"), ("ROUTER", "DEALER")])
def test_ws_request_reply_with_libzmq(
    ctx: TrackedContext, zmtp: ModuleType, libzmq: Any, ours: str, theirs: str, ours_bind: bool
) -> None:
    mine = ctx.socket(getattr(zmtp, ours))
    mine.routing_id = b"ours"
    other = libzmq.socket(LIBZMQ_TYPES[theirs])
    other.set_routing_id(b"theirs")
    if ours_bind:
        mine.bind("ws://127.0.0.1:*/zmq")
        other.connect(mine.last_endpoint.decode())
    else:
        other.bind("ws://127.0.0.1:*/zmq")
        mine.connect(other.last_endpoint)
    # The DEALER speaks first (a ROUTER cannot address a peer it has not heard from).
    dealer_send = mine.send_multipart if ours == "DEALER" else other.send_multipart
    router_recv = other.recv_multipart if ours == "DEALER" else mine.recv_multipart
    router_send = other.send_multipart if ours == "DEALER" else mine.send_multipart
    dealer_recv = mine.recv_multipart if ours == "DEALER" else other.recv_multipart
    dealer_id = b"ours" if ours == "DEALER" else b"theirs"
    for message in messages():
        dealer_send(message)
    for message in messages():
        assert router_recv() == [dealer_id, *message]
    for message in messages(5):
        router_send([dealer_id, *message])
    for message in messages(5):
        assert dealer_recv() == message


@pytest.mark.parametrize("ours_bind", [True, False], ids=["ours-bind", "ours-connect"])
@pytest.mark.parametrize("ours", ["PUB", "SUB"])
def test_ws_publish_subscribe_with_libzmq(
    ctx: TrackedContext, zmtp: ModuleType, libzmq: Any, ours: str, ours_bind: bool
) -> None:
    theirs = "SUB" if ours == "PUB" else "PUB"
    mine = ctx.socket(getattr(zmtp, ours))
    other = libzmq.socket(LIBZMQ_TYPES[theirs], timeout_ms=50)
    if ours_bind:
        mine.bind("ws://127.0.0.1:*")
        other.connect(mine.last_endpoint.decode())
    else:
        other.bind("ws://127.0.0.1:*")
        mine.connect(other.last_endpoint)
    if ours == "SUB":
        mine.subscribe(b"t")
        publish, receive = other.send_multipart, mine.recv_multipart
        mine.rcvtimeo = 50
    else:
        other.subscribe(b"t")
        publish, receive = mine.send_multipart, other.recv_multipart
    for _ in range(200):  # the subscription travels as a data frame: wait until it landed
        publish([b"t-probe"])
        publish([b"other topic"])
        try:
            if receive() == [b"t-probe"]:
                break
        except (OSError, zmtp.ZMQError):  # (a timeout on either side: nothing yet)
            continue
    else:
        pytest.fail("the subscription never reached the publisher")
    while True:  # drain the probes in flight
        try:
            receive()
        except (OSError, zmtp.ZMQError):
            break
    for message in messages():
        publish([b"t", *message])
        publish([b"x-not-subscribed", *message])
    for message in messages():
        assert receive() == [b"t", *message]


# -- tls against libzmq, through socat ----------------------------------------------------


@pytest.fixture
def socat_router(certs: Certificates) -> Iterator[tuple[Any, str]]:
    """A pyzmq ROUTER on tcp, reachable as tls:// through socat's OPENSSL-LISTEN."""
    zmq = require_pyzmq()
    socat = shutil.which("socat")
    if socat is None:
        missing("socat is not installed (apt-get install socat)")
    context = zmq.Context()
    router = context.socket(zmq.ROUTER)
    router.linger = 0
    router.rcvtimeo = 5000
    port = router.bind_to_random_port("tcp://127.0.0.1")
    process = subprocess.Popen(
        [
            str(socat),
            "-d",
            "-d",
            f"OPENSSL-LISTEN:0,bind=127.0.0.1,reuseaddr,fork,cert={certs.server},verify=0",
            f"TCP:127.0.0.1:{port}",
        ],
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stderr is not None
        for _ in range(20):
            line = process.stderr.readline()
            found = re.search(r"listening on .*:(\d+)\s*$", line)
            if found:
                break
        else:
            pytest.fail("socat did not start listening")
        yield router, f"tls://127.0.0.1:{found.group(1)}"
    finally:
        process.kill()
        process.wait()
        if process.stderr is not None:
            process.stderr.close()
        router.close()
        context.term()


def test_tls_to_libzmq_through_socat(
    ctx: TrackedContext, zmtp: ModuleType, certs: Certificates, socat_router: tuple[Any, str]
) -> None:
    router, endpoint = socat_router
    dealer = ctx.socket(zmtp.DEALER)
    dealer.routing_id = b"ours"
    dealer.tls_ca = certs.ca
    dealer.connect(endpoint)
    for message in messages():
        dealer.send_multipart(message)
    for message in messages():
        assert router.recv_multipart() == [b"ours", *message]
    for message in messages(9):
        router.send_multipart([b"ours", *message])
    for message in messages(9):
        assert dealer.recv_multipart() == message


def test_unusable_tls_files_fail_at_bind_and_connect(
    ctx: TrackedContext, zmtp: ModuleType, certs: Certificates
) -> None:
    server = ctx.socket(zmtp.PULL)
    with pytest.raises(zmtp.ZMQError, match="TLS_CERT"):
        server.bind("tls://127.0.0.1:*")  # a server needs a certificate
    client = ctx.socket(zmtp.PUSH)
    client.tls_ca = "/nonexistent/ca.pem"
    with pytest.raises(zmtp.ZMQError, match="cannot load the TLS files"):
        client.connect("tls://127.0.0.1:5555")
    client.tls_ca = certs.ca
    server.tls_cert = certs.server
    server.bind("wss://127.0.0.1:*")  # and the sockets are fine afterwards
    client.connect(server.last_endpoint.decode())
    client.send(b"fine")
    assert server.recv() == b"fine"
