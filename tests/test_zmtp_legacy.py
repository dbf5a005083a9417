"""ZMTP 1.0 and 2.0 peers in the core: Connections against hand-written old peers.

What the old peer sends is written here byte by byte from RFC 13 and RFC 15
and libzmq 4.3's greeting rules; what libzmq itself answers to the same peers
is compared in test_legacy_interop.py.
"""

from __future__ import annotations

import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zmtp_core._zmtp10 import Zmtp10FrameReader, Zmtp10SendQueue, encode_header
from zmtp_core.connection import (
    Connection,
    ConnectionClosed,
    HandshakeComplete,
    Message,
    NullMechanism,
    PlainClient,
    Subscribe,
)

from wire import feed, take_output


def signature(routing_id_size: int = 0) -> bytes:
    return b"\xff" + struct.pack(">Q", routing_id_size + 1) + b"\x7f"


def v1_frame(body: bytes, more: bool = False) -> bytes:
    """A ZMTP 1.0 frame as RFC 13 draws it: the length counts the flags byte."""
    size = len(body) + 1
    head = bytes((size,)) if size < 255 else b"\xff" + struct.pack(">Q", size)
    return head + bytes((int(more),)) + body


def v2_frame(body: bytes, more: bool = False) -> bytes:
    """A ZMTP 2.0 frame as RFC 15 draws it (3.x's framing, without commands)."""
    long = len(body) > 255
    flags = int(more) | (2 if long else 0)
    return bytes((flags,)) + (struct.pack(">Q", len(body)) if long else bytes((len(body),))) + body


FRAMINGS = {(1, 0): (0, v1_frame), (2, 0): (1, v2_frame)}


def legacy_peer(
    conn: Connection, version: tuple[int, int], identity: bytes = b""
) -> HandshakeComplete:
    """Greet ``conn`` as a versioned ZMTP 1.0/2.0 ROUTER and send our identity."""
    revision, frame = FRAMINGS[version]
    assert feed(conn, signature(len(identity))) == []
    assert feed(conn, bytes((revision, 6))) == []
    (done,) = feed(conn, frame(identity))
    assert isinstance(done, HandshakeComplete)
    return done


@pytest.mark.parametrize("version", [(1, 0), (2, 0)])
def test_a_versioned_old_peer_gets_libzmqs_bytes_and_talks(version: tuple[int, int]) -> None:
    revision, frame = FRAMINGS[version]
    conn = Connection("DEALER", routing_id=b"me")
    assert take_output(conn) == signature(2)
    feed(conn, signature(5))
    assert take_output(conn) == b"\x03"  # the major version, as libzmq
    feed(conn, bytes((revision,)))
    assert take_output(conn) == b"\x05"  # our socket type where 3.x has its minor
    feed(conn, b"\x06")  # the peer's socket type: libzmq does not check it
    assert take_output(conn) == frame(b"me")  # our identity, as the first message
    (done,) = feed(conn, frame(b"peer!"))
    assert done == HandshakeComplete(
        socket_type="", routing_id=b"peer!", properties={}, version=version
    )
    conn.send_message([b"a", b"x" * 300])
    assert take_output(conn) == frame(b"a", more=True) + frame(b"x" * 300)
    (message,) = feed(conn, frame(b"", more=True) + frame(b"xyz"))
    assert message == Message([b"", b"xyz"])


def test_an_unversioned_peer_gets_our_identity_behind_the_signature() -> None:
    # Our signature is the long header of a message of routing-id length (+1 for
    # flags); libzmq sends the routing id after it and nothing else of a greeting.
    conn = Connection("DEALER", routing_id=b"me")
    take_output(conn)
    done, message = feed(conn, v1_frame(b"") + v1_frame(b"hello"))
    assert isinstance(done, HandshakeComplete)
    assert done.version == (1, 0)
    assert message == Message([b"hello"])
    assert take_output(conn) == b"me"
    conn.send_message([b"hi"])
    assert take_output(conn) == v1_frame(b"hi")


@pytest.mark.parametrize("kind", ["PUB", "XPUB"])
def test_a_publisher_feeds_an_unversioned_subscriber_everything(kind: str) -> None:
    # ZMTP 1.0 subscribers filter for themselves and never subscribe upstream.
    conn = Connection(kind)
    events = feed(conn, v1_frame(b""))
    assert isinstance(events[0], HandshakeComplete)
    assert events[1:] == [Subscribe(b"")]


@pytest.mark.parametrize("version", [(1, 0), (2, 0)])
def test_a_publisher_reads_a_versioned_old_subscribers_subscriptions(
    version: tuple[int, int],
) -> None:
    _, frame = FRAMINGS[version]
    conn = Connection("PUB")
    legacy_peer(conn, version)
    assert feed(conn, frame(b"\x01topic")) == [Subscribe(b"topic")]  # no phantom one


@pytest.mark.parametrize("version", [(1, 0), (2, 0)])
def test_a_subscriber_subscribes_an_old_publisher_with_data_frames(
    version: tuple[int, int],
) -> None:
    _, frame = FRAMINGS[version]
    conn = Connection("SUB")
    legacy_peer(conn, version)
    take_output(conn)
    conn.send_subscribe(b"news")
    conn.send_cancel(b"news")
    assert take_output(conn) == frame(b"\x01news") + frame(b"\x00news")


@pytest.mark.parametrize(
    "mechanism",
    [NullMechanism(ask_zap=True), PlainClient(b"user", b"pass")],
    ids=["NULL with a ZAP domain", "PLAIN"],
)
@pytest.mark.parametrize("greeting", [v1_frame(b""), signature() + b"\x01\x06"])
def test_old_peers_are_refused_where_zap_would_be_asked(
    mechanism: NullMechanism | PlainClient, greeting: bytes
) -> None:
    conn = Connection("DEALER", mechanism=mechanism)
    take_output(conn)
    (closed,) = feed(conn, greeting)
    assert isinstance(closed, ConnectionClosed)
    assert "ZAP is enabled" in closed.reason
    assert take_output(conn) == b""  # closed, no ERROR: ZMTP 1.0/2.0 has none


@pytest.mark.parametrize("kind", ["CLIENT", "SERVER", "RADIO", "DISH", "SCATTER", "CHANNEL"])
def test_socket_types_born_later_refuse_old_peers(kind: str) -> None:
    conn = Connection(kind)
    (closed,) = feed(conn, signature() + b"\x01\x05")
    assert isinstance(closed, ConnectionClosed)
    assert f"has no {kind} sockets" in closed.reason


def test_no_heartbeats_to_old_peers() -> None:
    # libzmq starts its PING timer with a mechanism, which a ZMTP 2.0 peer never gets.
    conn = Connection("DEALER", heartbeat_interval=1.0, handshake_interval=5.0)
    legacy_peer(conn, (2, 0))
    assert conn.next_deadline is None


def test_the_handshake_timer_stops_at_the_identity() -> None:
    conn = Connection("DEALER", handshake_interval=5.0)
    conn.handle_timer(0.0)
    assert conn.next_deadline == 5.0
    legacy_peer(conn, (1, 0))
    assert conn.next_deadline is None


@pytest.mark.parametrize("announced", [0, 1 << 40, (1 << 64) - 1])
def test_a_v1_length_announced_never_allocates(announced: int) -> None:
    conn = Connection("DEALER", max_message_size=1 << 20)
    legacy_peer(conn, (1, 0))
    (closed,) = feed(conn, b"\xff" + struct.pack(">Q", announced) + b"\x00")
    assert isinstance(closed, ConnectionClosed)
    assert conn._reader.memory_size() <= 2 * 65536


def test_a_short_v1_length_of_zero_ends_the_connection() -> None:
    conn = Connection("DEALER")
    legacy_peer(conn, (1, 0))
    (closed,) = feed(conn, b"\x00\x00")
    assert isinstance(closed, ConnectionClosed)
    assert "length of 0" in closed.reason


messages = st.lists(
    st.lists(
        st.binary(max_size=300) | st.sampled_from([b"z" * 9000, b"y" * 70000]),
        min_size=1,
        max_size=4,
    ),
    min_size=1,
    max_size=4,
)


@settings(max_examples=60, deadline=None)
@given(messages=messages, chunk=st.integers(1, 5000), threshold=st.sampled_from([64, 8192]))
def test_v1_frames_cross_in_any_chunking(
    messages: list[list[bytes]], chunk: int, threshold: int
) -> None:
    queue = Zmtp10SendQueue(threshold)
    for message in messages:
        queue.add_frames(message)
    wire = b"".join(bytes(b) for b in queue.buffers())
    assert wire == b"".join(
        v1_frame(body, more=index < len(message) - 1)
        for message in messages
        for index, body in enumerate(message)
    )
    reader = Zmtp10FrameReader(buffer_size=4096, large_threshold=threshold)
    frames = []
    for offset in range(0, len(wire), chunk):
        piece = wire[offset : offset + chunk]
        while piece:
            view = reader.writable()
            count = min(len(view), len(piece))
            view[:count] = piece[:count]
            reader.commit(count)
            piece = piece[count:]
            while (item := reader.next_frame()) is not None:
                frames.append((item[0], bytes(item[1])))
    assert frames == [
        (int(index < len(message) - 1), body)
        for message in messages
        for index, body in enumerate(message)
    ]


@settings(max_examples=200, deadline=None)
@given(garbage=st.binary(min_size=1, max_size=600), version=st.sampled_from([(1, 0), (2, 0)]))
def test_garbage_from_an_old_peer_ends_only_its_connection(
    garbage: bytes, version: tuple[int, int]
) -> None:
    conn = Connection("ROUTER", max_message_size=4096)
    legacy_peer(conn, version)
    events = feed(conn, garbage, [7])
    assert all(isinstance(e, Message | ConnectionClosed) for e in events)
    assert conn._reader.memory_size() <= 2 * 65536


def test_headers_as_rfc_13_draws_them() -> None:
    assert encode_header(0, 0) == b"\x01\x00"
    assert encode_header(1, 253) == b"\xfe\x01"
    assert encode_header(0, 254) == b"\xff" + struct.pack(">Q", 255) + b"\x00"
