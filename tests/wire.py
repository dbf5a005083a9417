"""In-memory plumbing for core tests: connections wired together without sockets."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from zmtp_core.connection import NEED_DATA, Connection, ConnectionClosed, Event, Layer

Conn = Connection | Layer


def drain(conn: Conn) -> list[Event]:
    """Every event available now; stops after NEED_DATA or a ConnectionClosed."""
    events: list[Event] = []
    while True:
        event = conn.next_event()
        if event is NEED_DATA:
            return events
        assert isinstance(event, Event)
        events.append(event)
        if isinstance(event, ConnectionClosed):
            return events


def take_output(conn: Conn) -> bytes:
    """Everything ``conn`` has queued, reported as written."""
    out = bytearray()
    while conn.bytes_to_send:
        buffers = conn.buffers_to_send()
        for buffer in buffers:
            out += buffer
        conn.sent(sum(memoryview(b).nbytes for b in buffers))
    return bytes(out)


def feed(
    conn: Conn, data: bytes, sizes: Iterable[int] = (), *, recv_into: bool = True
) -> list[Event]:
    """Deliver ``data`` in chunks of these sizes (then the rest at once), draining events."""
    events: list[Event] = []
    chunks = iter(sizes)
    offset = 0
    while offset < len(data):
        size = min(max(1, next(chunks, len(data))), len(data) - offset)
        if recv_into:
            view = conn.receive_buffer()
            assert len(view) > 0
            size = min(size, len(view))
            view[:size] = data[offset : offset + size]
            conn.received(size)
        else:
            conn.receive_data(data[offset : offset + size])
        offset += size
        events += drain(conn)
    return events


def transfer(src: Conn, dst: Conn) -> list[Event]:
    """Move everything ``src`` has queued into ``dst``; return what ``dst`` then says."""
    data = take_output(src)
    return feed(dst, data) if data else drain(dst)


def handshake(a: Conn, b: Conn, rounds: int = 4) -> tuple[list[Event], list[Event]]:
    """Pass bytes both ways until neither has more to say (the greeting goes in three
    steps, then the mechanism's commands); the events ``a`` and ``b`` gave."""
    a_events: list[Event] = []
    b_events: list[Event] = []
    for _ in range(rounds):
        b_events += transfer(a, b)
        a_events += transfer(b, a)
    return a_events, b_events


def handshaken_pair(
    a_type: str = "DEALER", b_type: str = "ROUTER", **options: Any
) -> tuple[Connection, Connection]:
    """Two connections past their handshake, with the HandshakeComplete events consumed."""
    a, b = Connection(a_type, **options), Connection(b_type, **options)
    handshake(a, b)
    assert a.state.value == b.state.value == "traffic", (a.state, b.state)
    return a, b
