"""tls, ws and wss as sans-IO layers under a Connection: in memory, no sockets.

What goes on the wire is checked against what libzmq 4.3 puts there (ZWS 2.0:
the upgrade, one WebSocket message per frame with a flags byte, masking by the
client only, subscriptions as data frames, pings for heartbeats); refusals and
garbage end only the connection, with a reason.
"""

from __future__ import annotations

import struct
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zmtp_core import DebugCounters, Options, SocketType, parse_endpoint
from zmtp_core._framereader import HANDSHAKE_BUDGET
from zmtp_core._layer import RECEIVE_SIZE
from zmtp_core._tls import TLSLayer
from zmtp_core.connection import (
    Connection,
    ConnectionClosed,
    Event,
    HandshakeComplete,
    Message,
    Subscribe,
    layering,
)
from zmtp_transport import tls_context_for

from certs import Certificates
from wire import Conn, drain, take_output


def layered(kind: str, url: str, *, server_side: bool, **options: Any) -> Conn:
    settings = Options(SocketType[kind])
    for name, value in options.items():
        settings.set(name, value)
    endpoint = parse_endpoint(url)
    # Reading the TLS files is the backend's part (zmtp_transport), not the core's.
    context = tls_context_for(endpoint, settings, server_side=server_side)
    wrap = layering(endpoint, settings, server_side=server_side, context=context)
    assert wrap is not None
    return wrap(Connection(kind, **settings.connection_kwargs()))


def exchange(a: Conn, b: Conn, rounds: int = 20) -> tuple[list[Event], list[Event]]:
    """Move bytes both ways until nothing moves; every event each side reported."""
    seen: tuple[list[Event], list[Event]] = ([], [])
    for _ in range(rounds):
        moved = False
        for src, dst, reported in ((a, b, seen[1]), (b, a, seen[0])):
            data = take_output(src)
            if data:
                dst.receive_data(data)
                moved = True
            reported.extend(drain(dst))
        if not moved:
            break
    return seen


def closed_reason(events: list[Event]) -> str | None:
    return next((e.reason for e in events if isinstance(e, ConnectionClosed)), None)


# -- tls ----------------------------------------------------------------------------


def tls_pair(certs: Certificates, **client_options: Any) -> tuple[Conn, Conn]:
    server = layered("ROUTER", "tls://127.0.0.1:5555", server_side=True, TLS_CERT=certs.server)
    client_options.setdefault("TLS_CA", certs.ca)
    client = layered("DEALER", "tls://127.0.0.1:5555", server_side=False, **client_options)
    return client, server


def test_tls_carries_zmtp_and_counts_its_copies(
    certs: Certificates, debug_counters: DebugCounters
) -> None:
    client, server = tls_pair(certs, ROUTING_ID=b"me")
    client_events, server_events = exchange(client, server)
    assert any(isinstance(e, HandshakeComplete) for e in client_events)
    ready = next(e for e in server_events if isinstance(e, HandshakeComplete))
    assert ready.routing_id == b"me"
    body = bytes(range(256)) * 400  # 100 KiB: by reference into TLS, never out of it
    debug_counters.reset()
    client.send_message([b"head", body])
    _, server_events = exchange(client, server)
    assert [e.frames for e in server_events if isinstance(e, Message)] == [[b"head", body]]
    assert debug_counters.bytes_copied >= len(body)  # TLS copies: the counters say so
    assert debug_counters.fallback_count >= 1


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("wrong CA", "unable to get local issuer certificate"),
        ("wrong hostname", "Hostname mismatch"),
        ("expired", "certificate has expired"),
    ],
)
def test_tls_refusals_give_the_reason(certs: Certificates, case: str, expected: str) -> None:
    server_cert = {"expired": certs.expired, "wrong CA": certs.impostor}.get(case, certs.server)
    server = layered("ROUTER", "tls://127.0.0.1:5555", server_side=True, TLS_CERT=server_cert)
    hostname = {"TLS_HOSTNAME": "elsewhere.example"} if case == "wrong hostname" else {}
    client = layered(
        "DEALER", "tls://127.0.0.1:5555", server_side=False, TLS_CA=certs.ca, **hostname
    )
    client_events, server_events = exchange(client, server)
    reason = closed_reason(client_events)
    assert reason is not None and expected in reason, reason
    assert not any(isinstance(e, HandshakeComplete) for e in client_events + server_events)


def test_tls_client_certificates_when_required(certs: Certificates) -> None:
    def server() -> Conn:
        return layered(
            "ROUTER",
            "tls://127.0.0.1:5555",
            server_side=True,
            TLS_CERT=certs.server,
            TLS_CA=certs.ca,
            TLS_REQUIRE_CLIENT_CERT=1,
        )

    anonymous = layered("DEALER", "tls://127.0.0.1:5555", server_side=False, TLS_CA=certs.ca)
    refused = server()
    _, server_events = exchange(anonymous, refused)
    assert "certificate" in (closed_reason(server_events) or "")
    known = layered(
        "DEALER",
        "tls://127.0.0.1:5555",
        server_side=False,
        TLS_CA=certs.ca,
        TLS_CERT=certs.client,
    )
    accepted = server()
    _, server_events = exchange(known, accepted)
    assert any(isinstance(e, HandshakeComplete) for e in server_events)


def test_tls_without_verification_and_a_ready_context(certs: Certificates) -> None:
    import ssl  # noqa: PLC0415

    client = layered("DEALER", "tls://127.0.0.1:5555", server_side=False, TLS_VERIFY=0)
    server = layered("ROUTER", "tls://127.0.0.1:5555", server_side=True, TLS_CERT=certs.impostor)
    client_events, _ = exchange(client, server)
    assert any(isinstance(e, HandshakeComplete) for e in client_events)
    context = ssl.create_default_context(cafile=certs.ca)
    client = layered("DEALER", "tls://127.0.0.1:5555", server_side=False, TLS_CONTEXT=context)
    server = layered("ROUTER", "tls://127.0.0.1:5555", server_side=True, TLS_CERT=certs.server)
    client_events, _ = exchange(client, server)
    assert any(isinstance(e, HandshakeComplete) for e in client_events)


@pytest.mark.parametrize("version", ["TLSv1_2", "TLSv1_3"])
def test_tls_1_2_and_1_3(certs: Certificates, version: str) -> None:
    import ssl  # noqa: PLC0415

    context = ssl.create_default_context(cafile=certs.ca)
    context.minimum_version = context.maximum_version = ssl.TLSVersion[version]
    client = layered("DEALER", "tls://127.0.0.1:5555", server_side=False, TLS_CONTEXT=context)
    server = layered("ROUTER", "tls://127.0.0.1:5555", server_side=True, TLS_CERT=certs.server)
    exchange(client, server)
    assert isinstance(client, TLSLayer)
    assert client._tls.version() == version.replace("_", ".")
    client.send_message([b"over " + version.encode()])
    _, server_events = exchange(client, server)
    assert [e.frames for e in server_events if isinstance(e, Message)] == [
        [b"over " + version.encode()]
    ]


def test_a_tls_server_needs_a_certificate() -> None:
    from zmtp_core import SocketError  # noqa: PLC0415

    with pytest.raises(SocketError, match="TLS_CERT"):
        layered("ROUTER", "tls://127.0.0.1:5555", server_side=True)


@given(garbage=st.binary(min_size=1, max_size=600))
def test_tls_garbage_ends_only_that_connection(certs: Certificates, garbage: bytes) -> None:
    server = layered("ROUTER", "tls://127.0.0.1:5555", server_side=True, TLS_CERT=certs.server)
    server.receive_data(garbage)
    events = drain(server)
    assert all(isinstance(e, ConnectionClosed) for e in events)
    server.receive_data(b"")
    assert isinstance(drain(server)[-1], ConnectionClosed)


# -- ws --------------------------------------------------------------------------------


def ws_pair(client_kind: str = "DEALER", server_kind: str = "ROUTER") -> tuple[Conn, Conn]:
    server = layered(server_kind, "ws://127.0.0.1:5555/zmq", server_side=True)
    client = layered(client_kind, "ws://127.0.0.1:5555/zmq", server_side=False)
    return client, server


def ws_frames(data: bytes) -> list[tuple[int, bool, bytes]]:
    """Parse WebSocket frames: (opcode byte, masked, unmasked payload)."""
    frames = []
    position = 0
    while position < len(data):
        first, second = data[position], data[position + 1]
        position += 2
        size = second & 0x7F
        if size == 126:
            (size,) = struct.unpack_from(">H", data, position)
            position += 2
        elif size == 127:
            (size,) = struct.unpack_from(">Q", data, position)
            position += 8
        masked = bool(second & 0x80)
        mask = data[position : position + 4] if masked else b"\0\0\0\0"
        position += 4 if masked else 0
        payload = bytes(b ^ mask[i % 4] for i, b in enumerate(data[position : position + size]))
        position += size
        frames.append((first, masked, payload))
    return frames


def test_ws_upgrade_and_frames_are_libzmqs() -> None:
    client, server = ws_pair()
    request = take_output(client)
    assert request.startswith(b"GET /zmq HTTP/1.1\r\n")
    assert b"Sec-WebSocket-Protocol: ZWS2.0/NULL, ZWS2.0\r\n" in request
    server.receive_data(request)
    drain(server)
    reply = take_output(server)
    head, _, rest = reply.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 101 ")
    assert b"Sec-WebSocket-Protocol: ZWS2.0/NULL" in head
    # Right after the 101: READY as a binary message, flags 0x02, unmasked (no greeting).
    ((opcode, masked, payload),) = ws_frames(rest)
    assert opcode == 0x82 and not masked
    assert payload.startswith(b"\x02\x05READY\x0bSocket-Type\x00\x00\x00\x06ROUTER")
    client.receive_data(reply)
    assert isinstance(drain(client)[0], HandshakeComplete)
    client_ready = ws_frames(take_output(client))
    assert [(op, masked) for op, masked, _ in client_ready] == [(0x82, True)]  # clients mask
    assert client_ready[0][2].startswith(b"\x02\x05READY")
    server.receive_data(b"")  # (feed nothing more)


def test_ws_messages_subscriptions_and_heartbeats() -> None:
    client, server = ws_pair()
    exchange(client, server)
    client.send_message([b"a", b"", bytes(70000)])
    frames = ws_frames(take_output(client))
    assert [payload[:1] for _, _, payload in frames] == [b"\x01", b"\x01", b"\x00"]
    assert len(frames[2][2]) == 70001
    sub, pub = ws_pair("SUB", "PUB")
    exchange(sub, pub)
    sub.send_subscribe(b"topic")
    ((_, _, payload),) = ws_frames(take_output(sub))
    assert payload == b"\x00\x01topic"  # a data frame over ws, never a SUBSCRIBE command
    sub.send_subscribe(b"again")
    _, pub_events = exchange(sub, pub)
    assert Subscribe(b"again") in pub_events
    # A ZMTP heartbeat goes out as a WebSocket ping; the pong keeps the peer alive.
    beating, other = (
        layered(
            "DEALER",
            "ws://127.0.0.1:5555/",
            server_side=False,
            HEARTBEAT_IVL=1000,
            HEARTBEAT_TIMEOUT=3000,
        ),
        layered("ROUTER", "ws://127.0.0.1:5555/", server_side=True),
    )
    exchange(beating, other)
    beating.handle_timer(0.0)  # (the heartbeat timer learns the time)
    beating.handle_timer(1.0)  # the heartbeat is due
    pings = ws_frames(take_output(beating))
    assert [(opcode, payload) for opcode, _, payload in pings] == [(0x89, b"")]
    other.receive_data(b"".join(_frame_bytes(0x89, b"", masked=True)))
    drain(other)
    ((opcode, _, _),) = ws_frames(take_output(other))
    assert opcode == 0x8A  # pong
    beating.receive_data(b"".join(_frame_bytes(0x8A, b"", masked=False)))
    beating.handle_timer(4.5)  # past the ping's timeout, but the pong counted
    assert not beating.closed
    take_output(beating)
    beating.handle_timer(9.0)  # and silence after that is fatal
    assert "heartbeat timeout" in (closed_reason(drain(beating)) or "")


def _frame_bytes(opcode_byte: int, payload: bytes, *, masked: bool) -> list[bytes]:
    mask = b"\x11\x22\x33\x44"
    size = len(payload)
    if size < 126:
        header = bytes((opcode_byte, (0x80 if masked else 0) | size))
    else:
        header = bytes((opcode_byte, (0x80 if masked else 0) | 126)) + struct.pack(">H", size)
    if masked:
        return [header, mask, bytes(b ^ mask[i % 4] for i, b in enumerate(payload))]
    return [header, payload]


def opened_server() -> Conn:
    client, server = ws_pair()
    exchange(client, server)
    return server


@pytest.mark.parametrize(
    ("frame", "expected"),
    [
        (_frame_bytes(0x81, b"\x00text", masked=True), "text message"),
        (_frame_bytes(0x80, b"\x00part", masked=True), "continuation frame outside"),
        (_frame_bytes(0x83, b"\x00part", masked=True), "reserved opcode"),
        (_frame_bytes(0xC2, b"\x00part", masked=True), "reserved bits"),
        (_frame_bytes(0x09, b"", masked=True), "control frame fragmented"),
        (_frame_bytes(0x82, b"\x00unmasked", masked=False), "mask"),
        (_frame_bytes(0x82, b"\x07bad flags", masked=True), "flags"),
        (_frame_bytes(0x82, b"", masked=True), "empty WebSocket message"),
        (_frame_bytes(0x88, struct.pack(">H", 1011) + b"oops", masked=True), "1011: oops"),
    ],
)
def test_ws_frames_libzmq_rejects_end_the_connection(frame: list[bytes], expected: str) -> None:
    server = opened_server()
    server.receive_data(b"".join(frame))
    reason = closed_reason(drain(server))
    assert reason is not None and expected in reason, reason


def test_ws_orderly_close_is_answered_then_ends() -> None:
    server = opened_server()
    server.receive_data(b"".join(_frame_bytes(0x88, struct.pack(">H", 1000), masked=True)))
    assert closed_reason(drain(server)) == "peer closed the connection"
    ((opcode, _, _),) = ws_frames(take_output(server))
    assert opcode == 0x88  # the close echoed


@pytest.mark.parametrize(
    ("request_bytes", "expected"),
    [
        (b"NOT HTTP AT ALL\r\n\r\n", "WebSocket handshake failed"),
        (
            b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
            b"Sec-WebSocket-Protocol: chat\r\n\r\n",
            "offered chat, not ZWS2.0/NULL",
        ),
    ],
)
def test_ws_bad_upgrades_end_the_connection(request_bytes: bytes, expected: str) -> None:
    server = layered("ROUTER", "ws://127.0.0.1:5555/", server_side=True)
    server.receive_data(request_bytes)
    reason = closed_reason(drain(server))
    assert reason is not None and expected in reason, reason


@given(garbage=st.binary(min_size=1, max_size=400), opened=st.booleans())
def test_ws_garbage_ends_only_that_connection(garbage: bytes, opened: bool) -> None:
    server = opened_server() if opened else layered("ROUTER", "ws://1.2.3.4:5/", server_side=True)
    server.receive_data(garbage)
    events = drain(server)
    assert all(isinstance(e, ConnectionClosed | Message) for e in events)
    server.receive_data(b"")
    assert isinstance(drain(server)[-1], ConnectionClosed)


def test_wss_is_ws_inside_tls(certs: Certificates) -> None:
    server = layered("PULL", "wss://127.0.0.1:5555/z", server_side=True, TLS_CERT=certs.server)
    client = layered("PUSH", "wss://127.0.0.1:5555/z", server_side=False, TLS_CA=certs.ca)
    exchange(client, server)
    body = bytes(range(256)) * 1024
    client.send_message([b"x", body])
    _, server_events = exchange(client, server)
    assert [e.frames for e in server_events if isinstance(e, Message)] == [[b"x", body]]


@pytest.mark.parametrize("transport", ["tls", "ws", "wss"])
def test_a_layer_reads_8_kib_at_a_time_until_past_the_handshake(
    certs: Certificates, transport: str
) -> None:
    """A peer that stalls half-way through a TLS handshake or an HTTP upgrade holds
    the budget of a stalled tcp greeting, not a 64 KiB buffer; the buffer grows
    once the connection is past its handshake and bytes fill it."""
    tls = {"TLS_CERT": certs.server} if transport != "ws" else {}
    url = f"{transport}://127.0.0.1:5555" + ("/zmq" if transport != "tls" else "")
    server = layered("ROUTER", url, server_side=True, **tls)
    client = layered("DEALER", url, server_side=False, **({"TLS_CA": certs.ca} if tls else {}))
    assert len(server.receive_buffer()) == HANDSHAKE_BUDGET
    exchange(client, server)
    client.send_message([bytes(300_000)])
    data, offset, sizes = take_output(client), 0, []
    while offset < len(data):
        view = server.receive_buffer()
        count = min(len(view), len(data) - offset)
        view[:count] = data[offset : offset + count]
        server.received(count)
        offset += count
        sizes.append(len(view))
    if transport == "ws":
        # Past its upgrade, ws reads as tcp does: the Connection's own buffer (grown
        # when the handshake completed), and the large body straight into the message.
        assert sizes[0] == RECEIVE_SIZE
        assert max(sizes) > RECEIVE_SIZE
    else:
        assert sizes[0] == HANDSHAKE_BUDGET
        assert max(sizes) == RECEIVE_SIZE
    messages = [e.frames for e in drain(server) if isinstance(e, Message)]
    assert [len(frames[-1]) for frames in messages] == [300_000]
