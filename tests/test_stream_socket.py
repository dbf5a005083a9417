"""STREAM: raw TCP peers with routing ids, as libzmq's STREAM socket."""

from __future__ import annotations

import socket
import threading
import urllib.request
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import pytest

import zmtp_selectors

from backends import TrackedContext
from peers import require_pyzmq


@pytest.fixture
def ctx(zmtp: ModuleType) -> Iterator[TrackedContext]:
    context = TrackedContext(zmtp.Context())
    yield context
    context.close()


def stream(ctx: TrackedContext, zmtp: ModuleType, **options: Any) -> Any:
    sock = ctx.socket(zmtp.STREAM)
    for name, value in options.items():
        setattr(sock, name, value)
    sock.rcvtimeo = 5000
    return sock


def test_a_stream_socket_serves_an_http_request(ctx: TrackedContext, zmtp: ModuleType) -> None:
    server = stream(ctx, zmtp)
    port = server.bind_to_random_port("tcp://127.0.0.1")
    answer: dict[str, bytes] = {}

    def fetch() -> None:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/hello", timeout=5) as reply:
            answer["body"] = reply.read()

    client = threading.Thread(target=fetch)
    client.start()
    peer, notice = server.recv_multipart()
    assert notice == b"" and len(peer) == 5 and peer[:1] == b"\0"
    request = b""
    while b"\r\n\r\n" not in request:
        sender, chunk = server.recv_multipart()
        assert sender == peer
        request += chunk
    assert request.startswith(b"GET /hello HTTP/1.1\r\n")
    server.send_multipart([peer, b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nHello"])
    server.send_multipart([peer, b""])  # closes that connection once the reply is out
    client.join(10)
    assert answer == {"body": b"Hello"}
    assert server.recv_multipart() == [peer, b""]  # the disconnect notice


def test_a_stream_client_talks_to_a_plain_tcp_server(ctx: TrackedContext, zmtp: ModuleType) -> None:
    with socket.create_server(("127.0.0.1", 0)) as listener:
        port = listener.getsockname()[1]
        client = stream(ctx, zmtp)
        client.connect(f"tcp://127.0.0.1:{port}")
        conn, _ = listener.accept()
        with conn:
            conn.settimeout(5)
            peer, notice = client.recv_multipart()
            assert notice == b""
            client.send_multipart([peer, b"raw bytes, no ZMTP"])
            data = b""
            while len(data) < 18:
                data += conn.recv(100)
            assert data == b"raw bytes, no ZMTP"  # (no greeting before them)
            conn.sendall(b"and back")
            assert client.recv_multipart() == [peer, b"and back"]
        assert client.recv_multipart() == [peer, b""]  # the server closed
        with pytest.raises(zmtp.ZMQError):
            client.send_multipart([b"nobody", b"x"])


def test_without_stream_notify_only_data_arrives(ctx: TrackedContext, zmtp: ModuleType) -> None:
    server = stream(ctx, zmtp, stream_notify=0)
    port = server.bind_to_random_port("tcp://127.0.0.1")
    with socket.create_connection(("127.0.0.1", port)) as raw:
        raw.sendall(b"first")
        _peer, data = server.recv_multipart()
        assert data == b"first"
    server.rcvtimeo = 200
    with pytest.raises(zmtp.Again):
        server.recv_multipart()  # (no disconnect notice either)


def test_stream_ids_look_like_libzmqs() -> None:
    zmq = require_pyzmq()
    ids = []
    for lib in (zmq, zmtp_selectors):
        ctx = lib.Context()
        server = ctx.socket(lib.STREAM)
        server.rcvtimeo = 5000
        port = server.bind_to_random_port("tcp://127.0.0.1")
        with socket.create_connection(("127.0.0.1", port)):
            ids.append(server.recv_multipart())
        server.close(linger=0)
        ctx.term()
    (theirs, their_notice), (ours, our_notice) = ids
    assert their_notice == our_notice == b""
    assert len(theirs) == len(ours) == 5 and theirs[:1] == ours[:1] == b"\0"
