"""Hypothesis over whole streams: any chunking, any partial write, any garbage."""

from __future__ import annotations

import itertools
import random

from hypothesis import given, settings
from hypothesis import strategies as st

from zmtp_core._framereader import PREALLOCATE_FLOOR
from zmtp_core.connection import (
    NEED_DATA,
    Cancel,
    Connection,
    ConnectionClosed,
    Event,
    HandshakeComplete,
    Message,
    Subscribe,
)

from wire import drain, handshaken_pair, take_output

# Body sizes biased to the interesting places: tiny, around the short/long
# header edge (255/256), around the zero-copy threshold (8192), and large.
sizes = st.one_of(
    st.integers(0, 300),
    st.sampled_from([255, 256, 8191, 8192, 8193, 65536, 65537]),
    st.integers(0, 20_000),
    st.integers(0, 300_000),
)


@st.composite
def messages(draw: st.DrawFn) -> list[list[bytes]]:
    """Multipart messages of 1-10 frames; bodies cheap to build but all distinct."""
    result = []
    for _ in range(draw(st.integers(1, 4))):
        frames = []
        for _ in range(draw(st.integers(1, 10))):
            size, seed = draw(sizes), draw(st.integers(0, 2**32))
            frames.append(random.Random(seed).randbytes(size))
        result.append(frames)
    return result


@given(
    batch=messages(),
    writes=st.lists(st.integers(0, 400_000), min_size=1, max_size=20),
    reads=st.lists(st.integers(1, 100_000), min_size=1, max_size=20),
    receive_buffer_size=st.sampled_from([4096, 65536]),
    recv_into=st.booleans(),
)
@settings(max_examples=150)
def test_every_message_arrives_once_in_order_intact(
    batch: list[list[bytes]],
    writes: list[int],
    reads: list[int],
    receive_buffer_size: int,
    recv_into: bool,
) -> None:
    """The kernel takes any prefix of each scatter list, the reader gets any split."""
    sender, receiver = handshaken_pair(receive_buffer_size=receive_buffer_size)
    for message in batch:
        sender.send_message(message)
    # Sizes cycle; after 300 steps the rest goes whole, to bound the run time.
    write_sizes = itertools.chain(
        itertools.islice(itertools.cycle(writes), 300), itertools.repeat(2**40)
    )
    read_sizes = itertools.chain(
        itertools.islice(itertools.cycle(reads), 300), itertools.repeat(2**40)
    )
    received: list[list[bytes]] = []
    count = 1
    while sender.bytes_to_send:
        buffers = sender.buffers_to_send()
        offered = sum(memoryview(b).nbytes for b in buffers)
        assert offered > 0, "bytes queued but nothing offered"
        # Any partial write, 0 included (but not twice running, so the stream moves).
        count = min(offered, next(write_sizes) or (0 if count else 1))
        chunk = bytearray()
        for buffer in buffers:
            if len(chunk) >= count:
                break
            chunk += memoryview(buffer).cast("B")[: count - len(chunk)]
        sender.sent(count)
        offset = 0
        while offset < count:
            piece = min(next(read_sizes), count - offset)
            if recv_into:
                view = receiver.receive_buffer()
                piece = min(piece, len(view))
                view[:piece] = chunk[offset : offset + piece]
                receiver.received(piece)
            else:
                receiver.receive_data(chunk[offset : offset + piece])
            offset += piece
            for event in drain(receiver):
                assert isinstance(event, Message), event
                received.append([bytes(f) for f in event.frames])
    assert received == batch
    assert receiver.next_event() is NEED_DATA


ALLOWED = (Message, Subscribe, Cancel, HandshakeComplete)


def assert_garbage_handled(conn: Connection, garbage: bytes, chunk: int) -> None:
    """Only messages, NEED_DATA, or one ConnectionClosed carrying a remote error."""
    for offset in range(0, len(garbage), chunk):
        conn.receive_data(garbage[offset : offset + chunk])
        events: list[Event] = drain(conn)
        for event in events[:-1]:
            assert isinstance(event, ALLOWED), event
        if events and isinstance(events[-1], ConnectionClosed):
            closed = events[-1]
            assert closed.error is not None, closed
            assert conn.closed and conn.next_event() is closed
            return
        # The reader never holds much more than it was given (or one preallocated body).
        assert conn._reader.memory_size() <= 2 * 65536 + len(garbage) + PREALLOCATE_FLOOR


@given(garbage=st.binary(max_size=3000), chunk=st.integers(1, 3000))
@settings(max_examples=300)
def test_garbage_to_a_fresh_connection(garbage: bytes, chunk: int) -> None:
    assert_garbage_handled(Connection("DEALER"), garbage, chunk)


@given(garbage=st.binary(max_size=3000), chunk=st.integers(1, 3000))
@settings(max_examples=300)
def test_garbage_after_the_greeting(garbage: bytes, chunk: int) -> None:
    conn = Connection("DEALER")
    conn.receive_data(b"\xff" + bytes(7) + b"\x01\x7f\x03\x01NULL" + bytes(48))
    drain(conn)
    assert_garbage_handled(conn, garbage, chunk)


@given(garbage=st.binary(max_size=3000), chunk=st.integers(1, 3000))
@settings(max_examples=300)
def test_garbage_after_a_valid_handshake(garbage: bytes, chunk: int) -> None:
    conn, _ = handshaken_pair("PUB", "SUB")
    assert_garbage_handled(conn, garbage, chunk)
    take_output(conn)  # whatever it queued (PONGs) is well-formed to hand out


@given(
    garbage=st.lists(
        st.sampled_from(
            [
                b"\x04\x06\x04PING",
                b"\x04\x00",
                b"\x04\x01\x09",
                b"\x00\x00",
                b"\x01\x01a",
                b"\x02" + bytes(7) + b"\x05",
                b"\x04\x0a\x09SUBSCRIBE",
                b"\x00\x02\x01t",
                b"\x06",
            ]
        ),
        max_size=30,
    )
)
def test_structured_garbage_after_a_handshake(garbage: list[bytes]) -> None:
    """Garbage built from frame-shaped pieces reaches deeper than random bytes."""
    conn, _ = handshaken_pair("PUB", "SUB")
    assert_garbage_handled(conn, b"".join(garbage), 7)
