"""A stream: one connected transport socket, its core Connection, and the Pipe it serves.

Every method runs with the owning zmtp socket's lock held: the application's
thread calls in when it sends or receives, the reactor's leader when the
kernel says the socket is ready or a timer is due.

Write batching (the seed's phase 3, with ZMTP_WRITE_BATCHING): a message that
arrives after a quiet spell is written at once; messages that follow it within
the batching window gather in the pipe and leave together in one sendmsg,
when 100 of them or 64 KiB are waiting, when the window ends (a timer), or
before the application blocks. A large message flushes the batch with it.
"""

from __future__ import annotations

import logging
import selectors
import socket
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, cast

from zmtp_core import (
    NEED_DATA,
    PENDING,
    Cancel,
    Connection,
    ConnectionClosed,
    HandshakeComplete,
    Message,
    Pipe,
    RemoteProtocolError,
    Subscribe,
    SubscriptionCommand,
    counters,
    resolve_toggle,
)

if TYPE_CHECKING:
    from ._reactor import Timer
    from ._transports import Owner

__all__ = ["Stream"]

log = logging.getLogger("zmtp_selectors")

READ = selectors.EVENT_READ
WRITE = selectors.EVENT_WRITE

BATCH_WINDOW = 100e-6  # seconds, as the seed
BATCH_BYTES = 64 * 1024
BATCH_MESSAGES = 100
#: The application thread reads inline for sockets with at most this many peers.
INLINE_READ_STREAMS = 8
#: Bytes a connection may hold before we stop feeding it from the pipe: beyond
#: this the pipe (and so SNDHWM) absorbs a slow peer, not an unbounded buffer.
CONNECTION_BACKLOG = 256 * 1024


class Stream:
    """One peer connection of a zmtp socket."""

    def __init__(
        self,
        owner: Owner,
        sock: socket.socket,
        *,
        pipe: Pipe | None,
        on_close: Callable[[Stream, str], None],
        on_ready: Callable[[Stream], None] | None = None,
    ) -> None:
        core = owner.core
        options = core.options
        self.owner = owner
        self.core = core
        self.lock = owner.lock
        self.reactor = owner.reactor
        self.sock = sock
        self.conn = Connection(core.socket_type, **options.connection_kwargs())
        self.pipe = pipe
        if pipe is not None:
            pipe.listener = self
        self.on_close = on_close
        self.on_ready = on_ready
        self.ready = False
        self.closed = False
        self.paused = False  # the pipe is at RCVHWM: no reading
        self.app_reads = False  # the application thread reads us inline for now
        self._want_write = False  # the kernel refused bytes: wait for room
        self.lingering = False
        self.batching = resolve_toggle("ZMTP_WRITE_BATCHING", bool(options["ZMTP_WRITE_BATCHING"]))
        self.threshold = int(options["ZMTP_ZEROCOPY_THRESHOLD"])
        self._interest = 0
        self._batch_start = 0.0
        self._batch_bytes = 0
        self._last_flush = 0.0
        self._core_timer: Timer | None = None
        self._core_deadline: float | None = None
        sock.setblocking(False)
        self._update_interest()
        self.flush()  # our greeting goes out at once
        self._update_timer()

    def __repr__(self) -> str:
        return f"<Stream fd={self.sock.fileno()} ready={self.ready} closed={self.closed}>"

    # -- readiness, from the reactor ---------------------------------------------

    def _on_ready(self, mask: int) -> None:
        with self.lock:
            if self.closed:
                return
            if mask & WRITE:
                self.flush()
            if mask & READ and not self.closed:
                if self.reactor.in_background() and self._application_is_reading():
                    self._yield_reads()
                else:
                    self.read()

    def _update_interest(self) -> None:
        """Tell the selector what we wait for, from our flags."""
        mask = 0 if self.paused or self.app_reads else READ
        if self._want_write:
            mask |= WRITE
        if mask != self._interest and not self.closed:
            self._interest = mask
            if mask:
                self.reactor.register(self.sock, mask, self._on_ready)
            else:
                self.reactor.unregister(self.sock)

    # -- who reads: the application while it is receiving, else the reactor ----

    def _application_is_reading(self) -> bool:
        owner = self.owner
        return (
            owner.receiving_until > time.monotonic() and len(owner.streams) <= INLINE_READ_STREAMS
        )

    def _yield_reads(self) -> None:
        """The application thread keeps calling recv(): let it read, keep the GIL quiet."""
        self.app_reads = True
        self._update_interest()
        self.reactor.call_at(self.owner.receiving_until, self._check_reads)

    def _check_reads(self) -> None:
        with self.lock:
            if self.closed or not self.app_reads:
                return
            if self._application_is_reading():
                self.reactor.call_at(self.owner.receiving_until, self._check_reads)
            else:
                self.reclaim_reads()  # the application went quiet: the reactor reads again

    def reclaim_reads(self) -> None:
        if self.app_reads:
            self.app_reads = False
            self._update_interest()

    # -- bytes in -----------------------------------------------------------

    def read(self) -> None:
        """Read what the kernel has (up to a bound), decode it, deliver it."""
        conn, sock = self.conn, self.sock
        for _ in range(16):
            if self.paused or self.closed:
                return
            view = conn.receive_buffer()
            try:
                count = sock.recv_into(view)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                count = 0  # a reset ends the input like a close
            conn.received(count)
            self.process()
            if count < len(view):
                return  # the kernel had less than we offered: it is empty (EOF included)

    def process(self) -> None:
        """Hand every decoded event to the pipe, until it is full."""
        conn = self.conn
        pipe = self.pipe
        while True:
            if pipe is not None:
                room = pipe.room
                if room <= 0:
                    self._pause()
                    break
                messages = conn.next_messages(room)  # the bulk of traffic, in one loop
                if messages:
                    try:
                        pipe.deliver_many(messages)
                    except RemoteProtocolError as error:
                        self.close(str(error))
                        return
                    continue
            event = conn.next_event()
            if event is NEED_DATA:
                break
            kind = type(event)
            if kind is Message:
                assert pipe is not None
                try:
                    pipe.deliver(cast(Message, event).frames)
                except RemoteProtocolError as error:
                    self.close(str(error))
                    return
            elif kind is Subscribe or kind is Cancel:
                assert pipe is not None
                pipe.deliver_subscription(kind is Subscribe, cast(Subscribe, event).topic)
            elif kind is HandshakeComplete:
                assert isinstance(event, HandshakeComplete)
                self._handshake_done(event)
                pipe = self.pipe
            elif kind is ConnectionClosed:
                assert isinstance(event, ConnectionClosed)
                self.close(event.reason)
                return
        if conn.bytes_to_send or (pipe is not None and pipe.outbound):
            self.flush()  # a PONG, or what waited for the handshake
        if self._core_deadline is not None or conn.next_deadline is not None:
            self._update_timer()

    def _handshake_done(self, event: HandshakeComplete) -> None:
        self.ready = True
        if self.on_ready is not None:
            self.on_ready(self)  # the bind side attaches its pipe here
        if self.pipe is not None:
            self.pipe.listener = self
            self.pipe.connected(event.routing_id, event.socket_type)

    def _pause(self) -> None:
        if not self.paused:
            self.paused = True
            self.owner.paused.add(self)
            self._update_interest()

    def resume(self) -> None:
        """The application read from a full pipe: take input again."""
        if self.paused and self.pipe is not None and self.pipe.inbound_low:
            self.paused = False
            self.owner.paused.discard(self)
            self._update_interest()
            self.process()

    # -- bytes out ----------------------------------------------------------

    def close_requested(self, pipe: Pipe, reason: str) -> None:
        """PipeListener: the pattern refuses this peer (PAIR's second, ROUTER handover)."""
        self.close(reason)

    def output_ready(self, pipe: Pipe) -> None:
        """PipeListener: a message was queued in our pipe (socket lock held)."""
        if not self.ready or self.closed or self._want_write:
            return  # (the kernel is full: the pending write takes this too, when there is room)
        if not self.batching:
            self.flush()
            return
        now = time.monotonic()
        item = pipe.outbound[-1]
        if type(item) is tuple:
            frames = item[0]
            size = len(frames[0]) if len(frames) == 1 else sum(map(len, frames))
        else:
            size = 0
        self._batch_bytes += size
        waiting = len(pipe.outbound)
        if size >= self.threshold or self._batch_bytes >= BATCH_BYTES:
            self._flush_batch(now, "size")
        elif waiting >= BATCH_MESSAGES:
            self._flush_batch(now, "count")
        elif not self._batch_start:
            lone = self.owner.sends_since_wait <= 1 or now - self._last_flush >= BATCH_WINDOW
            if waiting == 1 and lone:
                self._flush_batch(now, None)  # a lone message leaves at once
            else:
                self._batch_start = now
                self.reactor.tick_soon(self)  # the window's end, if no send comes
        elif now - self._batch_start >= BATCH_WINDOW:
            self._flush_batch(now, "timeout")

    def tick(self, now: float) -> None:
        """The reactor's look at a held batch: flush it once its window is over."""
        if not self.lock.acquire(blocking=False):
            return  # the application is sending right now: it flushes, or we look again
        try:
            if not self.closed and self._batch_start:
                if now - self._batch_start < BATCH_WINDOW:
                    return
                self._flush_batch(now, "timeout")
            self.reactor.stop_ticking(self)
        finally:
            self.lock.release()

    def flush_batch(self) -> None:
        """Send what the batch holds now (the application is about to block)."""
        if self._batch_start and self.ready and not self.closed:
            self._flush_batch(time.monotonic(), None)

    def _flush_batch(self, now: float, reason: str | None) -> None:
        if counters.enabled and self.pipe is not None:
            counters.batch_flush_count += 1
            if reason is not None:
                name = f"batch_{reason}_flush_count"
                setattr(counters, name, getattr(counters, name) + 1)
            counters.batch_messages_total += self.pipe._out_messages
            counters.batch_bytes_total += self._batch_bytes
        self._batch_start = 0.0
        self._batch_bytes = 0
        self._last_flush = now
        self.flush()

    def flush(self) -> None:
        """Feed the connection from the pipe and write until done or the kernel is full."""
        conn, pipe, sock = self.conn, self.pipe, self.sock
        while not self.closed:
            if self.ready and pipe is not None and pipe.outbound:
                self._feed(pipe)
            pending = conn.bytes_to_send
            if not pending:
                break
            buffers = conn.buffers_to_send()
            try:
                written = sock.sendmsg(buffers)
            except (BlockingIOError, InterruptedError):
                written = 0
            except OSError as error:
                self.close(f"write failed: {error.strerror or error}")
                return
            conn.sent(written)
            if written < pending and written < sum(memoryview(b).nbytes for b in buffers):
                if not self._want_write:  # the kernel is full: wait for room
                    self._want_write = True
                    self._update_interest()
                return
        if not self.closed:
            if self._want_write:
                self._want_write = False
                self._update_interest()
            if self.lingering and self.drained:
                self.close("linger: everything was sent")

    def _feed(self, pipe: Pipe) -> None:
        """Encode what the pipe holds into the connection, up to its backlog."""
        conn = self.conn
        send_message = conn.send_message
        pop = pipe.pop_outbound
        outbound = pipe.outbound
        while outbound and conn.bytes_to_send < CONNECTION_BACKLOG:
            for _ in range(min(32, len(outbound))):  # (the backlog is checked every 32)
                item = pop()
                if type(item) is tuple:
                    send_message(item[0], tracker=item[1])
                elif isinstance(item, SubscriptionCommand):
                    if item.subscribe:
                        conn.send_subscribe(item.topic)
                    else:
                        conn.send_cancel(item.topic)

    @property
    def drained(self) -> bool:
        """Nothing left to send, in the pipe or the connection."""
        return not self.conn.bytes_to_send and (self.pipe is None or not self.pipe.outbound)

    # -- time -------------------------------------------------------------

    def _update_timer(self) -> None:
        deadline = self.conn.next_deadline
        if deadline is not None and (deadline == PENDING or deadline <= time.monotonic()):
            self.conn.handle_timer(time.monotonic())
            deadline = self.conn.next_deadline
        if deadline == self._core_deadline:
            return
        if self._core_timer is not None:
            self._core_timer.cancel()
            self._core_timer = None
        self._core_deadline = deadline
        if deadline is not None and not self.closed:
            self._core_timer = self.reactor.call_at(deadline, self._on_core_timer)

    def _on_core_timer(self) -> None:
        with self.lock:
            if self.closed:
                return
            self._core_timer = None
            self._core_deadline = None
            self.conn.handle_timer(time.monotonic())
            self.process()  # a timeout shows as ConnectionClosed; a PING needs writing

    # -- the end ----------------------------------------------------------------

    def close(self, reason: str) -> None:
        """Drop the connection now; what was not written is lost (trackers say dropped)."""
        if self.closed:
            return
        self.closed = True
        if self._core_timer is not None:
            self._core_timer.cancel()
        self.owner.paused.discard(self)
        self.reactor.unregister(self.sock)
        self.conn.close()
        self.conn.discard_output()
        self.reactor.call_in_loop(self.sock.close)  # after the selector forgot it
        if self.pipe is not None and self.pipe.listener is self:
            self.pipe.listener = None
        log.debug("stream closed: %s", reason)
        self.on_close(self, reason)

    def linger(self) -> None:
        """The socket is closing: finish sending (the handshake first, if need be), then close."""
        self.lingering = True
        if self.drained:
            self.close("socket closed")
        else:
            self.flush_batch()
            self.flush()
