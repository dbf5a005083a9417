"""A stream: one connected raw socket, its core Connection, and the Pipe it serves.

Reading goes ``recv_into`` the core's buffer, then decodes every whole message
in one loop (``Connection.next_messages``) into the pipe, up to RCVHWM; a full
pipe pauses reading until it drains to its low-water mark. Writing feeds the
connection from the pipe (at most CONNECTION_BACKLOG bytes, so that SNDHWM and
not an unbounded buffer absorbs a slow peer) and hands its scatter list to one
``sendmsg``; what the kernel refuses waits for writability.

When to write is the backend's :class:`Batcher`'s call. Everything here runs
under whatever the backend uses to protect the zmtp socket (its loop thread,
a lock).
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable
from typing import TYPE_CHECKING, cast

from zmtp_core import (
    NEED_DATA,
    PENDING,
    Cancel,
    Connection,
    ConnectionClosed,
    HandshakeComplete,
    Layer,
    Layering,
    Pipe,
    RemoteProtocolError,
    Subscribe,
    SubscriptionCommand,
    resolve_toggle,
)

if TYPE_CHECKING:
    from ._loop import Handle, Owner

__all__ = ["CONNECTION_BACKLOG", "Stream"]

log = logging.getLogger("zmtp")

#: Bytes a connection may hold before we stop feeding it from the pipe.
CONNECTION_BACKLOG = 256 * 1024
#: Reads per readiness event before giving others a turn.
READS_PER_EVENT = 16


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
        layering: Layering | None = None,
    ) -> None:
        core = owner.core
        options = core.options
        self.owner = owner
        self.loop = owner.loop
        self.sock = sock
        conn = Connection(core.socket_type, **options.connection_kwargs())
        #: The Connection, under the layers of tls://, ws:// or wss:// if any.
        self.conn: Connection | Layer = conn if layering is None else layering(conn)
        self.pipe = pipe
        if pipe is not None:
            pipe.listener = self
        self.on_close = on_close
        self.on_ready = on_ready
        self.ready = False
        #: Why the connection (not our side) ended it, if it did.
        self.failure: str | None = None
        self.closed = False
        self.paused = False  # the pipe is at RCVHWM: no reading
        self.want_write = False  # the kernel refused bytes: wait for room
        self.lingering = False
        self.batching = resolve_toggle("ZMTP_WRITE_BATCHING", bool(options["ZMTP_WRITE_BATCHING"]))
        self.threshold = int(options["ZMTP_ZEROCOPY_THRESHOLD"])
        #: For the Batcher's own bookkeeping.
        self.batch_started = 0.0
        self.batch_bytes = 0
        self.last_flush = 0.0
        self._watching = (False, False)
        self._core_timer: Handle | None = None
        self._core_deadline: float | None = None
        sock.setblocking(False)
        owner.streams.add(self)
        self.update_interest()
        self.flush()  # our greeting goes out at once
        self._update_timer()

    def __repr__(self) -> str:
        return f"<Stream fd={self.sock.fileno()} ready={self.ready} closed={self.closed}>"

    # -- readiness ------------------------------------------------------------------

    def on_readiness(self, readable: bool, writable: bool) -> None:
        """The loop's call: write first (it frees kernel buffers), then read."""
        if self.closed:
            return
        if writable:
            self.flush()
        if readable and not self.closed:
            self.read()

    def reads_suppressed(self) -> bool:
        """A backend may read for itself for a while (see zmtp_selectors)."""
        return False

    def update_interest(self) -> None:
        """Tell the loop what we wait for."""
        if self.closed:
            return
        wanted = (not self.paused and not self.reads_suppressed(), self.want_write)
        if wanted != self._watching:
            self._watching = wanted
            self.loop.watch(self.sock, wanted[0], wanted[1], self.on_readiness)

    # -- bytes in -----------------------------------------------------------

    def read(self) -> None:
        """Read what the kernel has (up to a bound), decode it, deliver it."""
        conn, sock = self.conn, self.sock
        for _ in range(READS_PER_EVENT):
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
        """Hand what the connection decoded to the pipe, until the pipe is full."""
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
            if kind is Subscribe or kind is Cancel:
                assert pipe is not None
                pipe.deliver_subscription(kind is Subscribe, cast(Subscribe, event).topic)
            elif kind is HandshakeComplete:
                self._handshake_done(cast(HandshakeComplete, event))
                pipe = self.pipe
            elif kind is ConnectionClosed:
                self.failure = cast(ConnectionClosed, event).reason
                self.close(self.failure)
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
            self.update_interest()

    def resume(self) -> None:
        """The application read from a full pipe: read again once it is low."""
        if self.paused and self.pipe is not None and self.pipe.inbound_low:
            self.paused = False
            self.owner.paused.discard(self)
            self.update_interest()
            self.process()

    # -- bytes out ----------------------------------------------------------

    def close_requested(self, pipe: Pipe, reason: str) -> None:
        """PipeListener: the pattern refuses this peer (PAIR's second, ROUTER handover)."""
        self.close(reason)

    def output_ready(self, pipe: Pipe) -> None:
        """PipeListener: a message was queued in our pipe."""
        if not self.ready or self.closed or self.want_write:
            return  # (the kernel is full: the pending write takes this too, when there is room)
        if not self.batching:
            self.flush()
            return
        item = pipe.outbound[-1]
        if type(item) is tuple:
            frames = item[0]
            size = len(frames[0]) if len(frames) == 1 else sum(map(len, frames))
        else:
            size = 0
        self.owner.batcher.queued(self, pipe, size)

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
                if not self.want_write:  # the kernel is full: wait for room
                    self.want_write = True
                    self.update_interest()
                return
        if not self.closed:
            if self.want_write:
                self.want_write = False
                self.update_interest()
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
        if deadline is not None and (deadline == PENDING or deadline <= self.loop.time()):
            self.conn.handle_timer(self.loop.time())
            deadline = self.conn.next_deadline
        if deadline == self._core_deadline:
            return
        if self._core_timer is not None:
            self._core_timer.cancel()
            self._core_timer = None
        self._core_deadline = deadline
        if deadline is not None and not self.closed:
            self._core_timer = self.loop.call_at(deadline, self._on_core_timer)

    def _on_core_timer(self) -> None:
        if self.closed:
            return
        self._core_timer = None
        self._core_deadline = None
        self.conn.handle_timer(self.loop.time())
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
        self.owner.streams.discard(self)
        self.loop.release(self.sock)
        self.conn.close()
        self.conn.discard_output()
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
            self.owner.batcher.flush_now(self)
            self.flush()
