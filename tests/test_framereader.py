"""The receive buffer and frame decoder: chunkings, zero-copy bodies, compaction."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zmtp_core import DebugCounters, RemoteProtocolError
from zmtp_core._bodies import POOL_SIZE, Body, BodyPool
from zmtp_core._codec import COMMAND, LONG, MORE
from zmtp_core._framereader import HANDSHAKE_BUDGET, PREALLOCATE_FLOOR, FrameReader


def frame(body: bytes, flags: int = 0, *, long: bool = False) -> bytes:
    if len(body) > 255 or long:
        return bytes((flags | LONG,)) + len(body).to_bytes(8, "big") + body
    return bytes((flags, len(body))) + body


def read_all(reader: FrameReader, data: bytes, size: int | None = None) -> list[tuple[int, bytes]]:
    """Deliver ``data`` through writable()/commit() in reads of at most ``size``."""
    frames: list[tuple[int, bytes]] = []
    offset = 0
    while offset < len(data):
        view = reader.writable()
        count = min(len(view), len(data) - offset, size or len(data))
        view[:count] = data[offset : offset + count]
        reader.commit(count)
        offset += count
        while (item := reader.next_frame()) is not None:
            frames.append((item[0], bytes(item[1])))
    return frames


STREAM = [
    (MORE, b"id"),
    (0, b""),
    (COMMAND, b"\x04PING\x00\x00"),
    (MORE, bytes(255)),
    (MORE, bytes(range(256))),
    (0, b"x" * 9000),
    (0, b"tail"),
]
WIRE = b"".join(frame(body, flags) for flags, body in STREAM)


@pytest.mark.parametrize("size", [None, 1, 2, 3, 7, 9, 100, 4096])
def test_frames_in_any_chunking(size: int | None) -> None:
    assert read_all(FrameReader(), WIRE, size) == STREAM


def test_frames_through_feed_whole_bytewise_and_with_trailing_data() -> None:
    for pieces in ([WIRE], [WIRE[i : i + 1] for i in range(len(WIRE))]):
        reader = FrameReader()
        frames = []
        for piece in pieces:
            reader.feed(piece)
            while (item := reader.next_frame()) is not None:
                frames.append((item[0], bytes(item[1])))
        assert frames == STREAM
    reader = FrameReader()
    reader.feed(WIRE + b"\x01")  # the start of a frame that is not complete yet
    frames = []
    while (item := reader.next_frame()) is not None:
        frames.append((item[0], bytes(item[1])))
    assert frames == STREAM
    assert reader.next_frame() is None


def test_long_size_accepted_for_small_bodies() -> None:
    assert read_all(FrameReader(), frame(b"abc", long=True)) == [(0, b"abc")]


def test_reserved_flag_bits_are_ignored_not_rejected() -> None:
    assert read_all(FrameReader(), bytes((0xF0 | MORE, 1)) + b"z") == [(MORE, b"z")]


def test_small_frames_are_bytes_and_large_ones_their_own_bytearray() -> None:
    reader = FrameReader(large_threshold=8192)
    reader.feed(frame(b"s" * 100) + frame(b"L" * 8192))
    small, large = reader.next_frame(), reader.next_frame()
    assert small is not None and type(small[1]) is bytes
    assert large is not None and isinstance(large[1], bytearray)  # (a Body: reusable)


def test_large_body_is_received_straight_into_its_buffer(debug_counters: DebugCounters) -> None:
    reader = FrameReader()
    body = bytes(range(256)) * 1024  # 256 KiB
    header = frame(body)[:9]
    view = reader.writable()
    view[:9] = header
    reader.commit(9)
    assert reader.next_frame() is None  # the header alone allocates the body
    assert debug_counters.read_zerocopy_count == 1
    target = reader.writable()
    assert len(target) == len(body)  # the socket now reads into the message itself
    target[:] = body
    reader.commit(len(body))
    item = reader.next_frame()
    assert item is not None and item[1] == body
    assert debug_counters.read_bytes_copied == 0


def test_exact_mode_keeps_following_large_bodies_out_of_the_shared_buffer(
    debug_counters: DebugCounters,
) -> None:
    bodies = [bytes([n]) * 20000 for n in range(10)]
    wire = b"".join(frame(b"id", MORE) + frame(body) for body in bodies)
    # The socket always has everything: each read takes all it is offered.
    frames = read_all(FrameReader(), wire)
    assert [body for _, body in frames] == [b for body in bodies for b in (b"id", body)]
    # The first 64 KiB read holds three whole messages and the start of a fourth:
    # those bodies are copied out. From then on the reader is exact, and only the
    # 2-byte id frames are copied; every later body is read into its own buffer.
    assert debug_counters.read_zerocopy_count == 7
    assert debug_counters.read_bytes_copied <= 65536 + 2 * 7


def test_exact_mode_ends_with_a_message_of_small_frames() -> None:
    reader = FrameReader()
    read_all(reader, frame(b"x" * 10000))
    assert len(reader.writable()) < 100
    read_all(reader, frame(b"small"))
    assert len(reader.writable()) > 60000


def test_max_frame_size_checked_before_allocation() -> None:
    reader = FrameReader(max_frame_size=1000)
    reader.feed(b"\x02" + (10**12).to_bytes(8, "big"))
    with pytest.raises(RemoteProtocolError, match="exceeds the maximum message size 1000"):
        reader.next_frame()
    assert reader.memory_size() < 70000


def test_huge_declared_size_is_not_allocated_up_front() -> None:
    reader = FrameReader()
    reader.feed(b"\x02" + (2**62).to_bytes(8, "big") + b"abc")
    assert reader.next_frame() is None
    assert reader.memory_size() <= 65536 + PREALLOCATE_FLOOR


def test_body_above_preallocation_limit_grows_and_arrives_intact(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("zmtp_core._framereader.PREALLOCATE_FLOOR", 4096)
    body = bytes(range(256)) * 100
    assert read_all(FrameReader(), frame(body), size=1000) == [(0, body)]


def test_a_growing_body_nothing_views_grows_in_place_without_copying(
    monkeypatch: pytest.MonkeyPatch, debug_counters: DebugCounters
) -> None:
    monkeypatch.setattr("zmtp_core._framereader.PREALLOCATE_FLOOR", 4096)
    body = bytes(range(256)) * 1000
    data = frame(body)
    reader = FrameReader(buffer_size=1024)
    offset, frames = 0, list[tuple[int, bytes | bytearray]]()
    while offset < len(data):
        view = reader.writable()
        count = min(len(view), len(data) - offset)
        view[:count] = data[offset : offset + count]
        del view  # (as the backends' read loop lets go of it)
        reader.commit(count)
        offset += count
        frames += iter(reader.next_frame, None)
    assert frames == [(0, body)]
    assert debug_counters.read_bytes_copied < 1024  # only the prefix in the small buffer


def test_undrained_frames_grow_the_buffer_instead_of_signalling_eof() -> None:
    reader = FrameReader(buffer_size=1024)
    data = frame(b"a" * 200) * 50  # 10 KiB of complete frames, nobody decoding
    offset = 0
    while offset < len(data):
        view = reader.writable()
        assert len(view) > 0
        count = min(len(view), len(data) - offset)
        view[:count] = data[offset : offset + count]
        reader.commit(count)
        offset += count
    frames = []
    while (item := reader.next_frame()) is not None:
        frames.append(item)
    assert len(frames) == 50


def test_eof_is_a_zero_commit_or_an_empty_feed() -> None:
    reader = FrameReader()
    reader.commit(0)
    assert reader.eof
    reader = FrameReader()
    reader.feed(b"")
    assert reader.eof


def test_lazy_compaction_skips_far_more_than_it_moves(debug_counters: DebugCounters) -> None:
    # The seed's scenario: 4 KiB frames streaming through a 64 KiB buffer, read
    # in pieces that do not line up with frames, so a partial frame is always left.
    wire = frame(b"q" * 4096) * 400
    frames = read_all(FrameReader(buffer_size=65536), wire, size=3000)
    assert len(frames) == 400
    assert debug_counters.compaction_count > 0
    assert debug_counters.compaction_skipped_count >= 10 * debug_counters.compaction_count
    # Each compaction moved at most one partial frame.
    assert debug_counters.compaction_bytes <= debug_counters.compaction_count * (4096 + 9)


def test_eager_compaction_when_lazy_is_off(debug_counters: DebugCounters) -> None:
    wire = frame(b"q" * 4096) * 100
    read_all(FrameReader(lazy_compact=False), wire, size=3000)
    assert debug_counters.compaction_skipped_count == 0
    assert debug_counters.compaction_count > 90


def test_a_large_body_is_preallocated_only_as_far_as_the_peer_has_sent() -> None:
    reader = FrameReader()
    reader.feed(b"\x02" + (64 * 1024 * 1024).to_bytes(8, "big") + b"abc")  # announces 64 MiB
    assert reader.next_frame() is None
    assert reader.memory_size() <= 65536 + PREALLOCATE_FLOOR  # not 64 MiB
    reader = FrameReader()
    reader.feed(frame(bytes(1_000_000)))  # a peer that has sent 1 MB already...
    assert reader.next_frame() is not None
    reader.feed(b"\x02" + (900_000).to_bytes(8, "big"))  # ... gets its next body whole
    assert reader.next_frame() is None
    assert reader.memory_size() >= 900_000


def _large_body(reader: FrameReader, size: int = 20_000) -> Body:
    reader.feed(b"\x02" + size.to_bytes(8, "big"))
    view = reader.writable()
    view[:size] = bytes(size)
    reader.commit(size)
    _, body = reader.next_frame()  # type: ignore[misc]
    assert type(body) is Body
    return body


def test_bodies_given_back_are_used_again() -> None:
    pool = BodyPool()
    reader = FrameReader(bodies=pool)
    body = _large_body(reader)
    pool.recycle(Body(7))  # (a body of another size stays in the pool)
    pool.recycle(body)  # the application copied it out: its buffer comes back
    assert _large_body(reader) is body  # reused: no allocation, no zero-fill
    assert pool.take(7) == Body(7)


def test_a_lent_body_is_used_again_only_once_nothing_refers_to_it() -> None:
    pool = BodyPool()
    reader = FrameReader(bodies=pool)
    body = _large_body(reader)
    pool.lend(body)  # recv(copy=False): the application holds it
    view = memoryview(body)[:10]
    del body
    held = _large_body(reader)  # a view of the first is alive: a new body
    assert held is not view.obj
    ident = id(view.obj)
    pool.lend(held)
    del view, held  # now nothing refers to either
    assert id(_large_body(reader)) == ident


def test_lent_bodies_are_watched_a_few_at_a_time() -> None:
    pool = BodyPool()
    kept = [Body(100) for _ in range(3 * POOL_SIZE)]
    for body in kept:
        pool.lend(body)
    pool.take(100)  # (the application holds all of them: a new one)
    assert len(pool._lent) == POOL_SIZE


def test_before_the_handshake_frames_stay_within_the_budget() -> None:
    reader = FrameReader(buffer_size=HANDSHAKE_BUDGET)
    reader.limit_frames(HANDSHAKE_BUDGET - 9, "is too large before the handshake:")
    reader.feed(b"\x06" + (16 * 1024 * 1024).to_bytes(8, "big"))  # a 16 MiB "command"
    with pytest.raises(RemoteProtocolError, match="too large before the handshake"):
        reader.next_frame()
    assert reader.memory_size() <= HANDSHAKE_BUDGET
    reader.open_traffic(65536, -1)
    assert reader.memory_size() >= 65536


@settings(max_examples=200)
@given(
    announced=st.integers(8192, 2**62),
    sent=st.integers(0, 600_000),
    chunk=st.integers(1, 70_000),
)
def test_memory_follows_what_was_sent_not_what_was_announced(
    announced: int, sent: int, chunk: int
) -> None:
    reader = FrameReader()
    data = b"\x02" + announced.to_bytes(8, "big") + bytes(min(sent, announced))
    offset = 0
    while offset < len(data):
        view = reader.writable()
        count = min(len(view), chunk, len(data) - offset)
        view[:count] = data[offset : offset + count]
        reader.commit(count)
        offset += count
        reader.next_frame()
    # The buffer, plus a body of at most the floor or twice what arrived of it.
    assert reader.memory_size() <= 65536 + max(PREALLOCATE_FLOOR, 2 * len(data))
