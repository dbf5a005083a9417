"""The scatter list: coalesced small frames, pinned large bodies, partial writes."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zmtp_core import LocalProtocolError, MessageTracker
from zmtp_core._sendqueue import SendQueue
from zmtp_core.connection import IOV_MAX


def written(queue: SendQueue, limit: int | None = None) -> bytes:
    """Write what one sendmsg of at most ``limit`` bytes would take."""
    buffers = queue.buffers()
    data = b"".join(bytes(b) for b in buffers)[:limit]
    queue.advance(len(data))
    return data


def test_small_frames_coalesce_into_one_buffer() -> None:
    queue = SendQueue()
    queue.add_frames([b"a", b"bc"])
    queue.add_frames([b"d"])
    buffers = queue.buffers()
    assert len(buffers) == 1
    assert bytes(buffers[0]) == b"\x01\x01a\x00\x02bc\x00\x01d"


def test_large_body_goes_by_reference_after_its_header() -> None:
    body = bytearray(b"z" * 8192)
    queue = SendQueue(zerocopy_threshold=8192)
    queue.add_frames([b"k", body, b"end"])
    first, pinned, last = queue.buffers()
    assert bytes(first) == b"\x01\x01k\x03" + (8192).to_bytes(8, "big")
    assert pinned is body  # the very object: not a copy
    assert bytes(last) == b"\x00\x03end"


def test_long_header_from_256_bytes() -> None:
    queue = SendQueue()
    queue.add_frames([bytes(255)])
    queue.add_frames([bytes(256)])
    data = written(queue)
    assert data[:2] == b"\x00\xff"
    assert data[257:266] == b"\x02" + (256).to_bytes(8, "big")


def test_any_buffer_type_and_memoryview_formats() -> None:
    import array  # noqa: PLC0415

    queue = SendQueue(zerocopy_threshold=16)
    numbers = array.array("i", range(8))  # 32 bytes, itemsize 4
    queue.add_frames([memoryview(numbers)])
    assert written(queue) == b"\x00\x20" + numbers.tobytes()


def test_without_zerocopy_every_body_is_copied() -> None:
    queue = SendQueue(zerocopy_threshold=None)
    queue.add_frames([bytes(100_000)])
    assert len(queue.buffers()) == 1


@given(
    sizes=st.lists(st.integers(0, 20_000), min_size=1, max_size=12),
    cuts=st.lists(st.integers(0, 50_000), max_size=40),
)
def test_partial_writes_anywhere_keep_the_stream_intact(sizes: list[int], cuts: list[int]) -> None:
    queue = SendQueue(zerocopy_threshold=1000)
    reference = SendQueue(zerocopy_threshold=None)
    for index, size in enumerate(sizes):
        body = bytes([index]) * size
        queue.add_frames([body, b"x"])
        reference.add_frames([body, b"x"])
    expected = written(reference)
    out = b"".join(written(queue, cut) for cut in cuts) + written(queue)
    assert out == expected
    assert queue.size == 0


def test_never_more_than_iov_max_buffers() -> None:
    queue = SendQueue(zerocopy_threshold=10)
    for _ in range(IOV_MAX):
        queue.add_frames([bytes(10)])  # header buffer + body buffer each
    assert len(queue.buffers()) == IOV_MAX
    total = queue.size
    out = b""
    while queue.size:
        out += written(queue)
    assert len(out) == total


def test_advance_checks_what_was_offered() -> None:
    queue = SendQueue()
    queue.add_frames([b"abc"])
    with pytest.raises(LocalProtocolError, match="offered 0"):
        queue.advance(1)
    offered = sum(len(b) for b in queue.buffers())
    with pytest.raises(LocalProtocolError, match=f"offered {offered}"):
        queue.advance(offered + 1)
    with pytest.raises(LocalProtocolError):
        queue.advance(-1)
    queue.advance(0)
    assert queue.size == offered


def test_tracker_done_when_the_last_byte_is_written() -> None:
    queue = SendQueue(zerocopy_threshold=100)
    first, second = MessageTracker(), MessageTracker()
    queue.add_frames([bytes(500)], tracker=first)
    queue.add_frames([b"small"], tracker=second)
    total = queue.size
    written(queue, total - 3)  # stops inside the second message (7 bytes)
    assert (first.done, second.done) == (True, False)
    written(queue)
    assert (second.done, second.dropped) == (True, False)


def test_tracker_on_an_empty_queue_is_done_at_once() -> None:
    queue = SendQueue()
    tracker = MessageTracker()
    queue.track(tracker)
    assert tracker.done


def test_discard_drops_everything_and_tells_trackers() -> None:
    queue = SendQueue()
    tracker = MessageTracker()
    queue.add_frames([b"gone"], tracker=tracker)
    queue.discard()
    assert queue.size == 0 and queue.buffers() == []
    assert tracker.done and tracker.dropped
    assert repr(tracker) == "<MessageTracker dropped>"
