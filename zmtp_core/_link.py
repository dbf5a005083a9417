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

import enum
from collections.abc import Hashable, Sequence
from typing import TYPE_CHECKING, cast

from ._actions import Outbox, Write
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
from ._face import ConnectionFace
from ._layer import Layer
from ._pipe import Pipe, SubscriptionCommand
from ._raw import RawConnection
from ._sendqueue import Buffer, MessageTracker, SendQueue

if TYPE_CHECKING:
    from ._bindings import Dialer, Listener

__all__ = ["BACKLOG", "PAUSED", "RESCHEDULE", "Link", "LinkInput", "LinkState", "Outcome"]

#: Unsent bytes a connection may hold before messages wait in the pipe instead
#: (so that SNDHWM, not an unbounded buffer, absorbs a peer that does not read).
BACKLOG = 256 * 1024


class _Signal:
    """(The type of :data:`PAUSED` and :data:`RESCHEDULE`.)"""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


#: :meth:`Link.process` stopped because the pipe is at RCVHWM.
PAUSED = _Signal("PAUSED")
#: :meth:`Link.process` needs bytes, and the connection's next deadline moved.
RESCHEDULE = _Signal("RESCHEDULE")

#: What :meth:`Link.process` hands its engine to act on: the pipe is full, the
#: deadline moved, the handshake completed, ZAP must be asked, the connection
#: ended, or the pattern refused what the peer sent (a RemoteProtocolError).
Outcome = (
    _Signal | HandshakeComplete | AuthenticationRequest | ConnectionClosed | RemoteProtocolError
)


class LinkState(enum.Enum):
    """Where a connection is in its life (``ready``: its pipe is attached and
    messages flow; ``lingering``: it closes once everything queued is sent)."""

    HANDSHAKING = ("handshaking", False, False)
    HANDSHAKING_TO_LINGER = ("handshaking, then lingering", False, True)
    READY = ("ready", True, False)
    LINGERING = ("lingering", True, True)
    CLOSED = ("closed", False, False)

    def __init__(self, _label: str, ready: bool, lingering: bool) -> None:
        self.ready = ready
        self.lingering = lingering


class LinkInput(enum.Enum):
    """What moves a connection from one :class:`LinkState` to the next."""

    HANDSHAKE_DONE = enum.auto()
    LINGER = enum.auto()  # the socket closes (or a STREAM peer is closed) with LINGER
    DROP = enum.auto()


_S, _I = LinkState, LinkInput
#: Every move a connection may make; anything else is a bug in the engine.
_TRANSITIONS: dict[tuple[LinkState, LinkInput], LinkState] = {
    (_S.HANDSHAKING, _I.HANDSHAKE_DONE): _S.READY,
    (_S.HANDSHAKING, _I.LINGER): _S.HANDSHAKING_TO_LINGER,
    (_S.HANDSHAKING_TO_LINGER, _I.HANDSHAKE_DONE): _S.LINGERING,
    (_S.HANDSHAKING_TO_LINGER, _I.LINGER): _S.HANDSHAKING_TO_LINGER,
    (_S.READY, _I.LINGER): _S.LINGERING,
    (_S.LINGERING, _I.LINGER): _S.LINGERING,
    **{(state, _I.DROP): _S.CLOSED for state in _S if state is not _S.CLOSED},
}


class Link:
    """A connection of the engine, known to the backend by ``handle``.

    It decodes and delivers; what only the engine may decide (pause, attach a
    pipe, ask ZAP, drop) it returns from :meth:`process`. It writes to the
    engine's :class:`Outbox` only to say that it has bytes to send.
    """

    __slots__ = (
        "blocked",
        "conn",
        "connection",
        "deadline",
        "direct",
        "handle",
        "key",
        "origin",
        "outbox",
        "paused",
        "pipe",
        "queued",
        "state",
        "write",
    )

    def __init__(
        self,
        outbox: Outbox,
        handle: Hashable,
        key: int,
        conn: Connection | RawConnection | Layer,
        origin: Listener | Dialer,
    ) -> None:
        self.outbox = outbox
        self.handle = handle
        self.key = key
        #: What the engine talks to: the Connection, or the layers above it.
        self.conn: ConnectionFace = conn
        #: The Connection itself (``conn`` may be the layers above it).
        self.connection: Connection | RawConnection = (  # (RawConnection: udp's too)
            conn.connection if isinstance(conn, Layer) else conn
        )
        #: The bound or connected endpoint this connection belongs to.
        self.origin = origin
        #: Attached once the handshake completed (``state.ready``).
        self.pipe: Pipe | None = None
        self.state = LinkState.HANDSHAKING
        # Reading and writing, each independent of the state and of the other:
        self.paused = False  # the pipe is at RCVHWM: no reading
        self.blocked = False  # the kernel refused bytes: wait until writable
        self.queued = False  # a Write is pending, or waits for writability
        #: The one Write action this connection asks for (made once: it is asked often).
        self.write = Write(handle)
        self.deadline: float | None = None
        #: The Connection's own send queue, once traffic flows unwrapped (plain tcp/ipc).
        self.direct: SendQueue | None = None

    def __repr__(self) -> str:
        return f"<Link {self.handle!r} {self.origin.text} {self.state.name}>"

    def move(self, what: LinkInput) -> LinkState:
        """Take the step ``what`` from the current state (see the transition table)."""
        try:
            self.state = _TRANSITIONS[self.state, what]
        except KeyError:
            raise RuntimeError(f"a link cannot {what.name} when {self.state.name}") from None
        return self.state

    @property
    def closed(self) -> bool:
        return self.state is LinkState.CLOSED

    # -- input ----------------------------------------------------------------------

    def process(self) -> Outcome | None:
        """Deliver what the connection decoded, up to the first thing the engine
        must act on (None: nothing; the connection wants more bytes)."""
        conn = self.conn
        full = False
        while True:
            pipe = self.pipe
            if pipe is not None:  # (the handshake completed)
                room = pipe.room
                if room <= 0:
                    full = True
                    break
                messages, event = conn.pull(room)
                if messages:
                    try:
                        pipe.deliver_many(messages)
                    except RemoteProtocolError as error:
                        return error
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
            elif kind is HandshakeComplete or kind is AuthenticationRequest:
                return cast("HandshakeComplete | AuthenticationRequest", event)
            elif kind is ConnectionClosed:
                return cast(ConnectionClosed, event)
            # (PeerError: its reason arrives again in the ConnectionClosed after it)
        if not self.queued:
            direct = self.direct
            if direct._size if direct is not None else conn.bytes_to_send:
                self.queue()  # a PONG, handshake replies, what waited for the handshake
        if full:
            return PAUSED
        if self.connection.next_deadline != self.deadline:
            return RESCHEDULE
        return None

    # -- output ---------------------------------------------------------------------

    def queue(self) -> None:
        """The connection has bytes to send: tell the backend (once until it writes)."""
        self.queued = True
        if not self.blocked:
            self.outbox.pending.append(self.write)

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
                self.outbox.pending.append(self.write)

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
        if not outbound and conn.bytes_to_send < BACKLOG and not self.state.lingering:
            pipe.sink = self  # the queue is empty again: back to the fast lane

    @property
    def drained(self) -> bool:
        """Nothing left to send, in the pipe or the connection."""
        pipe = self.pipe
        return not self.conn.bytes_to_send and (pipe is None or not pipe.outbound)
