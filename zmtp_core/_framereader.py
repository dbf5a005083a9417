"""Bytes in, frames out: the receive buffer and the ZMTP frame decoder.

Small frames are parsed out of one bytearray and copied out once, as
``bytes``. A frame whose body is large gets its own ``bytearray`` as soon as
its header is seen, and the socket then reads straight into it: no second
copy. After a large frame the reader turns *exact*: it offers the socket only
enough room to finish the current frame plus one long header, so the body of
a following large frame never lands in the shared buffer (a large frame's
header is 9 bytes, so reading 9 bytes past a frame boundary cannot reach its
body). Exact mode ends with the first message made of small frames only.

Compaction is lazy, as in the seed: consumed bytes at the front are reclaimed
by a memmove only when the buffer is full, or when at least 2 KiB are consumed
and less than max(2 KiB, size/5) is free; an empty buffer rewinds for free.

Memory follows what the peer actually sent, never what it announced. Until
:meth:`FrameReader.open_traffic` (the handshake is done) the buffer and every
frame stay within :data:`HANDSHAKE_BUDGET`. After it, a large body is allocated
whole when it fits in PREALLOCATE_FLOOR or in what the peer has sent so far;
otherwise it starts at that size and doubles as its bytes arrive (the only case
where a body is copied on the way in, and counted). Bodies come from the
socket's :class:`~zmtp_core._bodies.BodyPool`, used again where possible.
"""

from __future__ import annotations

import sys
from typing import ClassVar

from ._bodies import BodyPool
from ._codec import COMMAND, LONG, LONG_HEADER, MORE, U64, parse_header
from ._counters import counters
from ._errors import RemoteProtocolError

__all__ = ["HANDSHAKE_BUDGET", "PREALLOCATE_FLOOR", "FrameReader"]

#: What a peer that has not completed its handshake can make us hold: the receive
#: buffer, and the largest frame until then (libzmq holds about 8 KiB in, too).
HANDSHAKE_BUDGET = 8192
#: Large bodies up to this size (or up to what the peer has already sent, if more)
#: are allocated whole when their header arrives; larger ones grow as bytes arrive.
PREALLOCATE_FLOOR = 256 * 1024


_COMPACT_MIN = 2048


class FrameReader:
    """Receive buffer plus decoder; yields ``(flags, body)`` pairs.

    ``flags`` keeps only MORE and COMMAND: reserved bits are ignored.
    """

    #: The longest frame header of this framing (exact reads stop one past a frame).
    longest_header: ClassVar[int] = LONG_HEADER

    __slots__ = (
        "_big",
        "_big_in_message",
        "_bodies",
        "_body",
        "_body_fill",
        "_body_flags",
        "_body_size",
        "_buf",
        "_end",
        "_exact",
        "_lazy",
        "_max_frame",
        "_pos",
        "_threshold",
        "_too_large",
        "_view",
        "bytes_received",
        "eof",
    )

    def __init__(
        self,
        buffer_size: int = 65536,
        large_threshold: int = 8192,
        max_frame_size: int = -1,
        lazy_compact: bool = True,
        bodies: BodyPool | None = None,
    ) -> None:
        """``bodies`` is where large bodies come from (shared by a socket's readers)."""
        if buffer_size < 64:
            raise ValueError("receive buffer must hold at least a greeting")
        self._buf = bytearray(buffer_size)
        self._view = memoryview(self._buf)
        self._pos = 0
        self._end = 0
        self._threshold = large_threshold
        self._big = max(1, min(large_threshold, buffer_size // 2))
        self._max_frame = sys.maxsize if max_frame_size < 0 else max_frame_size
        self._too_large = "exceeds the maximum message size"
        self._lazy = lazy_compact
        self._bodies = bodies if bodies is not None else BodyPool()
        self._body: bytearray | None = None
        self._body_fill = 0
        self._body_size = 0
        self._body_flags = 0
        self._exact = False
        self._big_in_message = False
        #: Every byte ever taken in; heartbeats compare it to see the peer alive.
        self.bytes_received = 0
        #: The peer closed its side; what is buffered may still be decoded.
        self.eof = False

    # -- bytes in -------------------------------------------------------

    def writable(self) -> memoryview:
        """Where the next ``recv_into`` should write; never empty."""
        pos, end = self._pos, self._end
        if pos == end and self._body is None and not self._exact:
            # The common case: everything was decoded; read into the whole buffer.
            self._pos = self._end = 0
            return self._view
        return self._writable(self._exact)

    def _writable(self, exact: bool) -> memoryview:
        body = self._body
        if body is not None and self._body_fill < self._body_size:
            if self._body_fill == len(body):
                body = self._grow_body()
            return memoryview(body)[self._body_fill :]
        if body is None and self._end - self._pos >= LONG_HEADER and self._start_body_from_buffer():
            return self._writable(exact)
        if self._pos:
            self._make_room()
        limit = len(self._buf) - self._end
        if limit == 0:
            self._grow_buffer(len(self._buf) * 2)
            limit = len(self._buf) - self._end
        if exact:
            wanted = self._exact_want()
            if wanted > 0:
                limit = min(limit, wanted)
        return self._view[self._end : self._end + limit]

    def commit(self, nbytes: int) -> None:
        """``nbytes`` were written into the last :meth:`writable` view (0 = EOF)."""
        if nbytes == 0:
            self.eof = True
            return
        self.bytes_received += nbytes
        if counters.enabled:
            counters.read_count += 1
        if self._body is not None and self._body_fill < self._body_size:
            self._body_fill += nbytes
        else:
            self._end += nbytes

    def feed(self, data: bytes | bytearray | memoryview) -> None:
        """Copy ``data`` in, as if a socket had delivered it (empty = EOF)."""
        source = memoryview(data).cast("B")
        if not source:
            self.eof = True
            return
        offset, total = 0, len(source)
        while offset < total:
            # We copy anyway, so exact-size reads would only cost loop turns.
            target = self._writable(exact=False)
            count = min(len(target), total - offset)
            target[:count] = source[offset : offset + count]
            self.commit(count)
            offset += count

    # -- raw access, for the greeting -------------------------------------

    def buffered(self) -> memoryview:
        """The bytes received and not yet consumed (greeting phase only)."""
        return self._view[self._pos : self._end]

    def take(self, nbytes: int) -> bytes:
        """Consume ``nbytes`` raw bytes that :meth:`buffered` showed."""
        data = bytes(self._view[self._pos : self._pos + nbytes])
        self._pos += nbytes
        return data

    # -- frames out -----------------------------------------------------

    def next_frame(self) -> tuple[int, bytes | bytearray] | None:
        """The next complete frame as (flags, body), or None until more bytes come."""
        if self._body is not None:
            return self._finish_body()
        pos = self._pos
        end = self._end
        if end - pos < 2:
            return None
        buf = self._buf
        flags = buf[pos]
        if flags & LONG:
            if end - pos < 9:
                return None
            size = U64.unpack_from(buf, pos + 1)[0]
            start = pos + 9
        else:
            size = buf[pos + 1]
            start = pos + 2
        flags &= MORE | COMMAND  # reserved bits are ignored, as libzmq does
        if size > self._max_frame:
            raise RemoteProtocolError(f"frame of {size} bytes {self._too_large} {self._max_frame}")
        stop = start + size
        if stop > end:
            if size >= self._big:
                self._start_body(flags, size, start)
            return None
        self._pos = stop
        if counters.enabled:
            counters.read_bytes_copied += size
        if size >= self._big:
            self._exact = True
            self._big_in_message = bool(flags & MORE)
            return flags, self._bodies.kind(self._view[start:stop])
        if not flags and (self._exact or self._big_in_message):
            # A message ends: stay exact only if it had a large frame.
            self._exact = self._big_in_message
            self._big_in_message = False
        return flags, bytes(self._view[start:stop])

    def _finish_body(self) -> tuple[int, bytearray] | None:
        body = self._body
        if body is None or self._body_fill < self._body_size:
            return None
        self._body = None
        flags = self._body_flags
        self._exact = True
        self._big_in_message = bool(flags & MORE)
        return flags, body

    def limit_frames(self, max_frame_size: int, why: str) -> None:
        """Refuse frames over ``max_frame_size`` (-1: none), saying ``why`` (a limit's name)."""
        self._max_frame = sys.maxsize if max_frame_size < 0 else max_frame_size
        self._too_large = why

    def open_traffic(self, buffer_size: int, max_frame_size: int) -> None:
        """The handshake is done: the full receive buffer, and frames up to MAXMSGSIZE."""
        if buffer_size > len(self._buf):
            self._grow_buffer(buffer_size)
        self._big = max(1, min(self._threshold, len(self._buf) // 2))
        self.limit_frames(max_frame_size, "exceeds the maximum message size")

    def memory_size(self) -> int:
        """Bytes of buffer this reader holds: what a hostile peer can make us allocate."""
        return len(self._buf) + (len(self._body) if self._body is not None else 0)

    # -- internals ------------------------------------------------------

    def _parse_header(self) -> tuple[int, int, int] | None:
        """``(flags, size, body_start)`` of the frame at the read position, flags
        cut to MORE and COMMAND; None while its header is incomplete. (next_frame
        inlines this; the slower paths call it, and other framings override it.)"""
        header = parse_header(self._buf, self._pos, self._end)
        if header is None:
            return None
        flags, size, start = header
        return flags & (MORE | COMMAND), size, start

    def _start_body_from_buffer(self) -> bool:
        """Move to a body of its own if the buffer starts a large, unfinished frame."""
        header = self._parse_header()
        if header is None:
            return False
        flags, size, start = header
        if size < self._big or start + size <= self._end:
            return False
        if size > self._max_frame:
            return False  # next_frame() reports it
        self._start_body(flags, size, start)
        return True

    def _start_body(self, flags: int, size: int, start: int) -> None:
        prefix = self._end - start
        allowance = max(PREALLOCATE_FLOOR, self.bytes_received, prefix)
        # Larger than the allowance: it grows as the bytes arrive (_grow_body).
        bodies = self._bodies
        body = bodies.take(size) if size <= allowance else bodies.kind(allowance)
        body[:prefix] = self._view[start : self._end]
        self._body, self._body_flags, self._body_size = body, flags, size
        self._body_fill = prefix
        self._pos = self._end
        if counters.enabled:
            counters.read_zerocopy_count += 1
            counters.read_bytes_copied += prefix

    def _grow_body(self) -> bytearray:
        """A size beyond the preallocation is being met by real bytes: double the body.

        In place while nothing views it, so that the allocator can move its pages
        rather than copy them (a 2 GiB body arrives 4x faster); a viewed body is
        copied into a larger one.
        """
        body = self._body
        assert body is not None
        size = min(self._body_size, 2 * len(body))
        try:
            body += bytes(size - len(body))
        except BufferError:
            grown = self._bodies.kind(size)
            grown[: self._body_fill] = body
            if counters.enabled:
                counters.read_bytes_copied += self._body_fill
            self._body = body = grown
        return body

    def _make_room(self) -> None:
        pos, end = self._pos, self._end
        if pos == 0:
            return
        if pos == end:
            self._pos = self._end = 0
            return
        free = len(self._buf) - end
        if (
            self._lazy
            and free
            and (pos < _COMPACT_MIN or free >= max(_COMPACT_MIN, len(self._buf) // 5))
        ):
            if counters.enabled:
                counters.compaction_skipped_count += 1
            return
        live = end - pos
        self._view[:live] = self._view[pos:end]
        self._pos, self._end = 0, live
        if counters.enabled:
            counters.compaction_count += 1
            counters.compaction_bytes += live

    def _grow_buffer(self, size: int) -> None:
        """The caller left more undecoded frames than the buffer holds: make it larger."""
        live = self._end - self._pos
        grown = bytearray(max(size, live * 2))
        grown[:live] = self._view[self._pos : self._end]
        self._buf, self._view = grown, memoryview(grown)
        self._pos, self._end = 0, live

    def _exact_want(self) -> int:
        """Bytes to read to finish the current small frame and one more long header."""
        available = self._end - self._pos
        header = self._parse_header()
        if header is None:
            return self.longest_header - available
        _, size, start = header
        return start - self._pos + size + self.longest_header - available
