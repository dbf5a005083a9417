"""ZWS 2.0 framing in the core: Connections framing WebSocket, no HTTP, no sockets.

A reference encoder written here (byte by byte, from RFC 6455 and RFC 45)
builds what a peer may send: fragments, control frames between them, any
mask. The core must read it in any chunking, write in any partial writes,
answer pings (at most one pong waiting), and end only the connection on
anything malformed, without allocating from a size the peer merely announced.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Sequence
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from zmtp_core import DebugCounters
from zmtp_core._framereader import PREALLOCATE_FLOOR
from zmtp_core._wsframes import mask
from zmtp_core.connection import Connection, ConnectionClosed, HandshakeComplete, Message

from wire import drain, feed, take_output

KEY = b"\x37\xfa\x21\x3d"


def naive_mask(data: bytes, key: bytes) -> bytes:
    return bytes(byte ^ key[i % 4] for i, byte in enumerate(data))


def ws_frame(opcode: int, payload: bytes, *, fin: bool = True, key: bytes | None = KEY) -> bytes:
    """One WebSocket frame as RFC 6455 section 5.2 draws it."""
    first = (0x80 if fin else 0) | opcode
    bit = 0x80 if key is not None else 0
    size = len(payload)
    if size < 126:
        head = bytes((first, bit | size))
    elif size < 65536:
        head = bytes((first, bit | 126)) + struct.pack(">H", size)
    else:
        head = bytes((first, bit | 127)) + struct.pack(">Q", size)
    if key is None:
        return head + payload
    return head + key + naive_mask(payload, key)


def zws_pair(
    client_type: str = "DEALER", server_type: str = "ROUTER", **options: Any
) -> tuple[Connection, Connection]:
    """A client and a server framing ZWS, past their ZMTP handshake."""
    client = Connection(client_type, **options)
    client.frame_as_websocket(random_bytes=os.urandom)
    server = Connection(server_type, **options)
    server.frame_as_websocket(random_bytes=None)
    for _ in range(2):
        for src, dst in ((client, server), (server, client)):
            events = feed(dst, take_output(src))
            assert not any(isinstance(e, ConnectionClosed) for e in events), events
    assert client.state.value == server.state.value == "traffic"
    return client, server


def opened_server(**options: Any) -> Connection:
    """A server past its handshake with a client this test speaks for."""
    server = Connection("ROUTER", **options)
    server.frame_as_websocket(random_bytes=None)
    ready = b"\x02\x05READY\x0bSocket-Type\x00\x00\x00\x06DEALER"
    events = feed(server, ws_frame(0x2, ready))
    assert any(isinstance(e, HandshakeComplete) for e in events), events
    take_output(server)
    return server


def messages(events: Sequence[object]) -> list[list[bytes]]:
    return [[bytes(f) for f in e.frames] for e in events if isinstance(e, Message)]


def unmasked_frames(data: bytes) -> list[tuple[int, bytes]]:
    """(first byte, unmasked payload) of each frame in ``data``."""
    frames, position = [], 0
    while position < len(data):
        first, second = data[position], data[position + 1]
        size, position = second & 0x7F, position + 2
        if size == 126:
            (size,), position = struct.unpack_from(">H", data, position), position + 2
        elif size == 127:
            (size,), position = struct.unpack_from(">Q", data, position), position + 8
        key = b"\0\0\0\0"
        if second & 0x80:
            key, position = data[position : position + 4], position + 4
        frames.append((first, naive_mask(data[position : position + size], key)))
        position += size
    return frames


_bodies = st.one_of(
    st.binary(max_size=300),
    st.sampled_from([b"", bytes(125), bytes(126), bytes(65535), bytes(65536), bytes(70_001)]),
)
_messages = st.lists(st.lists(_bodies, min_size=1, max_size=3), min_size=1, max_size=5)


@given(
    sent=_messages,
    client_sends=st.booleans(),
    chunks=st.lists(st.integers(1, 70_000), max_size=30),
    writes=st.lists(st.integers(0, 70_000), max_size=30),
)
@settings(max_examples=40, deadline=None)
def test_messages_cross_in_any_chunking_and_any_partial_writes(
    sent: list[list[bytes]], client_sends: bool, chunks: list[int], writes: list[int]
) -> None:
    client, server = zws_pair()
    src, dst = (client, server) if client_sends else (server, client)
    for frames in sent:
        src.send_message(frames)
    out = bytearray()
    sizes = iter(writes)
    while src.bytes_to_send:
        buffers = src.buffers_to_send()
        offered = sum(memoryview(b).nbytes for b in buffers)
        count = min(next(sizes, offered), offered)
        out += b"".join(bytes(b) for b in buffers)[:count]
        src.sent(count)
    frames_on_wire = unmasked_frames(bytes(out))
    assert all(first == 0x82 for first, _ in frames_on_wire)  # FIN + binary, one per frame
    received = feed(dst, bytes(out), chunks)
    assert messages(received) == sent


@given(
    sent=st.lists(st.lists(st.binary(max_size=200), min_size=1, max_size=3), max_size=6),
    pieces=st.lists(st.integers(1, 50), min_size=1, max_size=8),
    pings=st.lists(st.binary(max_size=125), max_size=4),
    chunks=st.lists(st.integers(1, 500), max_size=20),
)
@settings(max_examples=60, deadline=None)
def test_fragments_with_control_frames_between_them(
    sent: list[list[bytes]], pieces: list[int], pings: list[bytes], chunks: list[int]
) -> None:
    """A peer (a browser, a proxy) may fragment a message and ping between the fragments."""
    server = opened_server()
    stream = bytearray()
    for frames in sent:
        for index, body in enumerate(frames):
            payload = bytes((1 if index < len(frames) - 1 else 0,)) + body
            cuts = sorted({min(p, len(payload)) for p in pieces} | {len(payload)})
            start = 0
            for number, cut in enumerate(cuts):
                opcode = 0x2 if number == 0 else 0x0
                stream += ws_frame(opcode, payload[start:cut], fin=cut == len(payload))
                if number < len(pings):
                    stream += ws_frame(0x9, pings[number])
                start = cut
    events = feed(server, bytes(stream), chunks)
    assert messages(events) == sent
    assert not any(isinstance(e, ConnectionClosed) for e in events)
    answers = unmasked_frames(take_output(server))
    assert all(first == 0x8A for first, _ in answers)  # pongs, unmasked, echoing a ping
    assert {payload for _, payload in answers} <= set(pings)


def test_pongs_wait_one_at_a_time_for_a_peer_that_does_not_read() -> None:
    server = opened_server()
    feed(server, ws_frame(0x9, b"ping") * 1000)
    assert unmasked_frames(take_output(server)) == [(0x8A, b"ping")]
    feed(server, ws_frame(0x9, b"again"))
    assert unmasked_frames(take_output(server)) == [(0x8A, b"again")]


def test_a_close_is_echoed_even_though_the_rest_is_discarded() -> None:
    _, server = zws_pair()
    server.send_message([b"never read"])
    events = feed(server, ws_frame(0x8, struct.pack(">H", 1001) + b"bye"))
    assert [e.reason for e in events if isinstance(e, ConnectionClosed)] == [
        "peer closed the connection"
    ]
    assert unmasked_frames(take_output(server)) == [(0x88, struct.pack(">H", 1001))]


@given(
    garbage=st.binary(min_size=1, max_size=64),
    at=st.integers(0, 200),
    chunks=st.lists(st.integers(1, 64), max_size=10),
)
@settings(max_examples=150, deadline=None)
def test_mutated_headers_end_only_the_connection_and_allocate_nothing_announced(
    garbage: bytes, at: int, chunks: list[int]
) -> None:
    server = opened_server(max_message_size=1 << 40)
    stream = ws_frame(0x2, b"\x01first") + ws_frame(0x2, b"\x00" + bytes(150))
    mutated = stream[:at] + garbage + stream[at + len(garbage) :]
    events = feed(server, mutated, chunks)
    assert all(isinstance(e, Message | ConnectionClosed) for e in events)
    # Nothing allocated from an announced size: a body larger than what arrived
    # starts at PREALLOCATE_FLOOR at most.
    assert server._reader.memory_size() <= 2 * 65536 + PREALLOCATE_FLOOR
    if not server.closed:
        server.received(0)  # the peer's end: the connection ends too
        assert isinstance(drain(server)[-1], ConnectionClosed)
    assert server.closed


@given(
    data=st.binary(max_size=2000), key=st.binary(min_size=4, max_size=4), offset=st.integers(0, 7)
)
def test_masking_is_the_xor_of_the_repeated_key_at_any_size_and_offset(
    data: bytes, key: bytes, offset: int
) -> None:
    rotated = key[offset % 4 :] + key[: offset % 4]
    assert bytes(mask(data, key, offset)) == naive_mask(data, rotated)


def test_large_bodies_go_by_reference_from_a_server_and_masked_once_from_a_client(
    debug_counters: DebugCounters,
) -> None:
    client, server = zws_pair()
    body = bytearray(os.urandom(100_000))
    debug_counters.reset()
    server.send_message([b"head", body])
    buffers = server.buffers_to_send()
    assert any(b is body for b in buffers)  # pinned, not copied
    assert debug_counters.zerocopy_count == 1
    assert debug_counters.bytes_copied < 20
    server.sent(sum(memoryview(b).nbytes for b in buffers))
    debug_counters.reset()
    client.send_message([bytes(body)])
    assert debug_counters.zerocopy_count == 0
    assert 100_000 < debug_counters.bytes_copied < 100_020  # the one masked copy
    assert messages(feed(server, take_output(client))) == [[bytes(body)]]


def test_a_large_masked_body_is_read_into_its_message_then_unmasked_in_place(
    debug_counters: DebugCounters,
) -> None:
    client, server = zws_pair()
    body = os.urandom(200_000)
    client.send_message([body])
    data = take_output(client)
    debug_counters.reset()
    events = feed(server, data, [4096] * 100)
    assert messages(events) == [[body]]
    assert debug_counters.read_zerocopy_count == 1


@given(flags=st.integers(0x03, 0xFF))
def test_flags_other_than_last_more_command_are_refused(flags: int) -> None:
    server = opened_server()
    events = feed(server, ws_frame(0x2, bytes((flags,)) + b"x"))
    reason = next(e.reason for e in events if isinstance(e, ConnectionClosed))
    assert "invalid ZWS frame flags" in reason


def test_a_client_refuses_masked_frames_and_a_server_unmasked_ones() -> None:
    client, server = zws_pair()
    events = feed(client, ws_frame(0x2, b"\x00masked"))
    assert "must not be masked" in next(e.reason for e in events if isinstance(e, ConnectionClosed))
    events = feed(server, ws_frame(0x2, b"\x00plain", key=None))
    assert "must be masked" in next(e.reason for e in events if isinstance(e, ConnectionClosed))


@given(cut=st.integers(0, 12), whole=st.booleans())
def test_max_message_size_refuses_whole_messages_and_fragments_together(
    cut: int, whole: bool
) -> None:
    server = opened_server(max_message_size=10)
    payload = b"\x00" + bytes(11)  # one byte over
    if whole:
        stream = ws_frame(0x2, payload)
    else:
        stream = ws_frame(0x2, payload[:cut], fin=False) + ws_frame(0x0, payload[cut:])
    events = feed(server, stream)
    assert not messages(events)
    reason = next(e.reason for e in events if isinstance(e, ConnectionClosed))
    assert "exceeds the maximum message size" in reason
    assert messages(feed(opened_server(max_message_size=10), ws_frame(0x2, payload[:-1])))
