"""One connection inside a socket engine: a Connection (under its layers) and its pipe.

Input: what the Connection decodes goes to the pipe in bulk, up to RCVHWM;
a full pipe pauses reading until the application drains it to the low-water
mark. Output has two lanes. While nothing waits in the pipe and the
connection holds less than :data:`BACKLOG` unsent bytes, the pipe's
:attr:`~zmtp_core.patterns.Pipe.sink` is this link and a sent message goes straight
into the Connection's send queue (the fast lane). Otherwise messages wait in
the pipe, counted against SNDHWM, and are fed in when the backend writes.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import TYPE_CHECKING, cast

from ._bindings import Dialer, Listener
from ._connection import Connection
from ._errors import RemoteProtocolError
from ._events import (
    NEED_DATA,
    AuthenticationRequest,
    Cancel,
    ConnectionClosed,
    HandshakeComplete,
    Subscribe,
)
from ._layer import Layer
from ._pipe import Pipe, SubscriptionCommand
from ._raw import RawConnection
from ._sendqueue import Buffer, MessageTracker, SendQueue

if TYPE_CHECKING:
    from ._engine import SocketEngine

__all__ = ["BACKLOG", "Link"]

#: Unsent bytes a connection may hold before messages wait in the pipe instead
#: (so that SNDHWM, not an unbounded buffer, absorbs a peer that does not read).
BACKLOG = 256 * 1024


class Link:
    """A connection of the engine, known to the backend by ``handle``."""

    __slots__ = (
        "blocked",
        "closed",
        "conn",
        "connection",
        "deadline",
        "direct",
        "engine",
        "handle",
        "key",
        "lingering",
        "origin",
        "paused",
        "pipe",
        "queued",
        "ready",
    )

    def __init__(
        self,
        engine: SocketEngine,
        handle: Hashable,
        key: int,
        conn: Connection | RawConnection | Layer,
        origin: Listener | Dialer,
    ) -> None:
        self.engine = engine
        self.handle = handle
        self.key = key
        self.conn = conn
        #: The Connection itself (``conn`` may be the layers above it).
        self.connection: Connection | RawConnection = (
            conn.connection if isinstance(conn, Layer) else conn
        )
        #: The bound or connected endpoint this connection belongs to.
        self.origin = origin
        self.pipe: Pipe | None = None
        self.ready = False  # the handshake completed and the pipe is attached
        self.paused = False  # the pipe is at RCVHWM: no reading
        self.blocked = False  # the kernel refused bytes: wait until writable
        self.queued = False  # in engine.output, or waiting for writability
        self.lingering = False
        self.closed = False
        self.deadline: float | None = None
        #: The Connection's own send queue, once traffic flows unwrapped (plain tcp/ipc).
        self.direct: SendQueue | None = None

    def __repr__(self) -> str:
        state = "closed" if self.closed else "ready" if self.ready else "handshaking"
        return f"<Link {self.handle!r} {self.origin.text} {state}>"

    # -- input ----------------------------------------------------------------------

    def process(self) -> bool:
        """Deliver what the connection decoded; True while the link wants more bytes."""
        conn = self.conn
        while True:
            pipe = self.pipe
            if self.ready:
                assert pipe is not None
                room = pipe.room
                if room <= 0:
                    self.engine._pause(self)
                    break
                messages, event = conn.pull(room)
                if messages:
                    try:
                        pipe.deliver_many(messages)
                    except RemoteProtocolError as error:
                        self.engine._drop(self, str(error), error=error)
                        return False
                if event is None:
                    continue  # the limit was reached: look at the room again
            else:
                event = conn.next_event()
            if event is NEED_DATA:
                break
            kind = type(event)
            if kind is Subscribe or kind is Cancel:
                assert pipe is not None
                pipe.deliver_subscription(kind is Subscribe, cast(Subscribe, event).topic)
            elif kind is HandshakeComplete:
                self.engine._handshake_done(self, cast(HandshakeComplete, event))
                if self.closed:
                    return False
            elif kind is AuthenticationRequest:
                self.engine._authenticate(self, cast(AuthenticationRequest, event))
            elif kind is ConnectionClosed:
                closed = cast(ConnectionClosed, event)
                self.engine._drop(self, closed.reason, failed=True, error=closed.error)
                return False
            # (PeerError: its reason arrives again in the ConnectionClosed after it)
        if not self.queued:
            direct = self.direct
            if direct._size if direct is not None else conn.bytes_to_send:
                self.queue()  # a PONG, handshake replies, what waited for the handshake
        if self.connection.next_deadline != self.deadline:
            self.engine._reschedule(self)
        return not self.paused

    # -- output ---------------------------------------------------------------------

    def queue(self) -> None:
        """The connection has bytes to send: tell the backend (once until it writes)."""
        self.queued = True
        if not self.blocked:
            self.engine.output.append(self.handle)

    def take(self, frames: Sequence[Buffer], tracker: MessageTracker | None) -> None:
        """Sink: the fast lane, from the pattern straight into the send queue."""
        direct = self.direct
        if direct is not None:
            direct.add_frames(frames, tracker)
            full = direct._size >= BACKLOG
        else:
            conn = self.conn
            conn.send_message(frames, tracker=tracker)
            full = conn.bytes_to_send >= BACKLOG
        if full:
            cast(Pipe, self.pipe).sink = None  # from now on, messages wait in the pipe
        if not self.queued:
            self.queued = True
            if not self.blocked:
                self.engine.output.append(self.handle)

    def take_command(self, command: SubscriptionCommand) -> None:
        """Sink: a subscription, straight into the send queue."""
        if command.subscribe:
            self.conn.send_subscribe(command.topic)
        else:
            self.conn.send_cancel(command.topic)
        if not self.queued:
            self.queue()

    def feed(self) -> None:
        """Move what waits in the pipe into the connection, up to BACKLOG bytes."""
        conn, pipe = self.conn, self.pipe
        assert pipe is not None
        outbound = pipe.outbound
        pop = pipe.pop_outbound
        send = conn.send_message
        while outbound and conn.bytes_to_send < BACKLOG:
            item = pop()
            if type(item) is tuple:
                send(item[0], tracker=item[1])
            elif item is not None:
                self.take_command(cast(SubscriptionCommand, item))
        if not outbound and conn.bytes_to_send < BACKLOG and not self.lingering:
            pipe.sink = self  # the queue is empty again: back to the fast lane

    @property
    def drained(self) -> bool:
        """Nothing left to send, in the pipe or the connection."""
        pipe = self.pipe
        return not self.conn.bytes_to_send and (pipe is None or not pipe.outbound)

    # -- PipeListener ---------------------------------------------------------------

    def output_ready(self, pipe: Pipe) -> None:
        """A message (or subscription) waits in the pipe: the backend should write."""
        if self.ready and not self.queued:
            self.queue()

    def close_requested(self, pipe: Pipe, reason: str) -> None:
        """The pattern refuses this peer (PAIR's second one, a ROUTER handover)."""
        self.engine._drop(self, reason)

    def close_when_sent(self, pipe: Pipe) -> None:
        """Close once everything queued is written (STREAM's empty message)."""
        self.lingering = True
        pipe.sink = None
        if self.drained:
            self.engine._drop(self, "closed by the application")
        elif not self.queued:
            self.queue()

    # -- time -------------------------------------------------------------------------

    def on_timer(self, now: float) -> None:
        self.deadline = None  # (the engine's heap dropped it)
        self.conn.handle_timer(now)
        self.process()  # a timeout shows as ConnectionClosed; a PING needs writing
