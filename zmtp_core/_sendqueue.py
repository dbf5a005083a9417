"""Outgoing frames as a scatter list for one sendmsg, with large bodies pinned.

Small frames (and every header) are coalesced into one growing bytearray, the
*tail*. A body at or above the zero-copy threshold is never copied: the tail is
sealed after its header and the body object itself goes into the list, so the
queue holds a reference to it ("pins" it) until its last byte is written.

The backend asks for :meth:`SendQueue.buffers`, writes any prefix of them, and
reports the byte count to :meth:`SendQueue.advance`; a partial write just turns
the first buffer into a memoryview of what is left. Nothing is ever memmoved.
"""

from __future__ import annotations

import struct
import sys
from collections import deque
from collections.abc import Sequence
from itertools import islice

from ._codec import COMMAND, LONG, MORE, encode_header
from ._counters import counters
from ._errors import LocalProtocolError

__all__ = ["IOV_MAX", "Buffer", "MessageTracker", "SendQueue"]

#: The most buffers one sendmsg takes on Linux.
IOV_MAX = 1024

#: What the queue hands out and accepts as frame bodies.
Buffer = bytes | bytearray | memoryview


class MessageTracker:
    """Says when a message no longer needs its buffers.

    ``done`` becomes true once every copy of the message (a PUB sends one per
    subscriber) has been written to the kernel or discarded; ``dropped`` is set
    if any copy was discarded. Until then a mutable body sent by reference must
    not be changed.

    A new tracker holds one claim, for the message not yet handed over. Whatever
    takes the message (a queue, a pipe) takes over that claim and releases it
    when done with the copy; fanning out adds one claim per extra copy.
    """

    __slots__ = ("_claims", "dropped")

    def __init__(self) -> None:
        self._claims = 1
        self.dropped = False

    @property
    def done(self) -> bool:
        return self._claims <= 0

    def add_copies(self, count: int) -> None:
        """The message now lives in ``count`` more places (``-1`` when it went nowhere)."""
        self._claims += count

    def release(self, *, dropped: bool = False) -> None:
        """One copy is written (or, with ``dropped``, discarded)."""
        if dropped:
            self.dropped = True
        self._claims -= 1

    def __repr__(self) -> str:
        state = "dropped" if self.dropped else "done" if self.done else "pending"
        return f"<MessageTracker {state}>"


# Frame headers, precomputed: queueing a small frame calls no function for its header.
_LAST_HEADERS = [bytes((0, size)) for size in range(256)]
_MORE_HEADERS = [bytes((MORE, size)) for size in range(256)]
_LONG_HEADER = struct.Struct(">BQ")


def _byte_view(body: Buffer) -> Buffer:
    """``body`` as something whose len() counts bytes."""
    if isinstance(body, bytes | bytearray):
        return body
    view = memoryview(body)
    if view.itemsize == 1 and view.ndim == 1:
        return view
    return view.cast("B") if view.c_contiguous else view.tobytes()


class SendQueue:
    """Frames waiting to be written, encoded, in order."""

    __slots__ = (
        "_chunks",
        "_marks",
        "_offered_bytes",
        "_offered_count",
        "_size",
        "_tail",
        "_threshold",
        "_written_total",
    )

    def __init__(self, zerocopy_threshold: int | None = 8192) -> None:
        """``zerocopy_threshold=None`` copies every body (the ZMTP_ZEROCOPY_WRITE=0 path)."""
        self._threshold = sys.maxsize if zerocopy_threshold is None else zerocopy_threshold
        self._chunks: deque[Buffer] = deque()
        self._tail = bytearray()
        self._size = 0
        self._offered_bytes = self._offered_count = 0
        self._written_total = 0
        self._marks: deque[tuple[int, MessageTracker]] = deque()

    @property
    def end(self) -> int:
        """Where the stream ends once all that is queued is written (0 = its start)."""
        return self._written_total + self._size

    @property
    def written(self) -> int:
        """Bytes of the stream written so far."""
        return self._written_total

    @property
    def size(self) -> int:
        """Bytes queued and not yet reported written."""
        return self._size

    def add_frames(self, frames: Sequence[Buffer], tracker: MessageTracker | None = None) -> None:
        """Queue one message: MORE on every frame but the last."""
        if len(frames) == 1 and tracker is None:  # the common case, without the loop
            body = frames[0]
            size = len(body)
            if size < 256 and type(body) is bytes and size < self._threshold:
                tail = self._tail
                tail += _LAST_HEADERS[size]
                tail += body
                self._size += 2 + size
                if counters.enabled:
                    counters.fallback_count += 1
                    counters.bytes_copied += 2 + size
                return
        tail = self._tail
        threshold = self._threshold
        counting = counters.enabled
        added = 0
        remaining = len(frames)
        for frame in frames:
            remaining -= 1
            body = frame if type(frame) is bytes or type(frame) is bytearray else _byte_view(frame)
            size = len(body)
            if size < 256:
                tail += (_MORE_HEADERS if remaining else _LAST_HEADERS)[size]  # (a table: no call)
                header = 2
            else:
                tail += _LONG_HEADER.pack(MORE | LONG if remaining else LONG, size)
                header = 9
            if size < threshold:
                tail += body
                if counting:
                    counters.fallback_count += 1
                    counters.bytes_copied += header + size
            else:
                self._chunks.append(tail)
                self._chunks.append(body)
                tail = self._tail = bytearray()
                if counting:
                    counters.zerocopy_count += 1
                    counters.bytes_copied += header
            added += header + size
        self._size += added
        if tracker is not None:
            self.track(tracker)

    def track(self, tracker: MessageTracker) -> None:
        """Release ``tracker``'s claim once everything queued so far is written."""
        if self._size == 0:
            tracker.release()
        else:
            self._marks.append((self._written_total + self._size, tracker))

    def add_command(self, body: bytes, *, handshake: bool = False) -> None:
        """Queue one command frame (always copied: commands are small)."""
        self._append_copied(encode_header(COMMAND, len(body)) + body, handshake)

    def add_raw(self, data: bytes, *, handshake: bool = False) -> None:
        """Queue bytes that are already encoded (the greeting)."""
        self._append_copied(data, handshake)

    def _append_copied(self, data: bytes, handshake: bool) -> None:
        self._tail += data
        self._size += len(data)
        if counters.enabled:
            counters.fallback_count += 1
            counters.bytes_copied += len(data)
            if handshake:
                counters.handshake_copy_count += 1
                counters.handshake_copy_bytes += len(data)

    def buffers(self) -> list[Buffer]:
        """The scatter list to write next: everything queued, at most IOV_MAX buffers."""
        chunks = self._chunks
        if self._tail:
            chunks.append(self._tail)
            self._tail = bytearray()
        count = len(chunks)
        if count <= IOV_MAX:
            self._offered_count = count
            self._offered_bytes = self._size  # (everything: no need to add it up)
            return list(chunks)
        result = list(islice(chunks, IOV_MAX))
        self._offered_count = IOV_MAX
        self._offered_bytes = sum(map(len, result))
        return result

    def advance(self, nbytes: int) -> bool:
        """The backend wrote the first ``nbytes`` of the last :meth:`buffers` list.

        False when that was less than the list held: the kernel is full.
        """
        offered = self._offered_bytes
        if not 0 <= nbytes <= offered:
            raise LocalProtocolError(
                f"wrote {nbytes} bytes but the last buffers() offered {offered}"
            )
        if counters.enabled and nbytes:
            counters.write_count += 1
            if self._offered_count > 1:
                counters.scatter_gather_count += 1
            if nbytes < offered:
                counters.partial_write_count += 1
        self._offered_bytes = self._offered_count = 0
        chunks = self._chunks
        if nbytes == self._size and not self._tail:
            chunks.clear()  # everything went: the common case
            left = 0
        else:
            left = nbytes
        self._size -= nbytes
        self._written_total += nbytes
        while left:
            first = chunks[0]
            size = len(first)
            if left >= size:
                chunks.popleft()
                left -= size
            else:
                chunks[0] = memoryview(first)[left:]
                left = 0
        marks = self._marks
        if marks:
            while marks and marks[0][0] <= self._written_total:
                marks.popleft()[1].release()
        return nbytes == offered

    def discard(self) -> None:
        """Forget everything queued (the connection is gone); trackers say dropped."""
        for _, tracker in self._marks:
            tracker.release(dropped=True)
        self._marks.clear()
        self._chunks.clear()
        self._tail = bytearray()
        self._size = 0
        self._offered_bytes = self._offered_count = 0
