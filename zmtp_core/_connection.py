"""One ZMTP connection as a pure state machine: bytes in, events and buffers out.

ZMTP 3.x, and peers that speak 1.0 or 2.0 as libzmq 4.3 takes them.

The backend that owns the socket drives it with four kinds of calls:

* **bytes in** - ``view = conn.receive_buffer(); n = sock.recv_into(view);
  conn.received(n)`` (zero-copy: a large frame body is read straight into the
  buffer that becomes the message), or ``conn.receive_data(data)`` for layers
  that produce bytes. ``0`` or ``b""`` means the peer closed its side.
* **events out** - ``conn.next_event()`` until it returns :data:`NEED_DATA`.
* **bytes out** - ``bufs = conn.buffers_to_send(); n = sock.sendmsg(bufs);
  conn.sent(n)``; any ``n`` from 0 to all is fine.
* **time** - the core never reads a clock. ``conn.next_deadline`` is when it
  wants ``conn.handle_timer(now)`` called, in the backend's own clock; a
  deadline of ``-inf`` means "call me now, I need to know the time".

States go greeting -> handshake -> traffic -> closed, and closed is final.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Callable, Mapping, Sequence
from types import MappingProxyType

from . import _commands as cmd
from ._bodies import BodyPool
from ._codec import COMMAND, MORE
from ._errors import (
    PROTOCOL_ERROR_MECHANISM_MISMATCH,
    PROTOCOL_ERROR_UNREPORTED,
    AuthenticationFailed,
    LocalProtocolError,
    RemoteProtocolError,
)
from ._events import (
    NEED_DATA,
    AuthenticationRequest,
    Cancel,
    ConnectionClosed,
    Event,
    Frame,
    HandshakeComplete,
    NeedData,
    PeerError,
    Subscribe,
    message_event,
)
from ._framereader import HANDSHAKE_BUDGET, FrameReader
from ._greeting import Greeting, GreetingExchange, encode_signature, mechanism_field
from ._mechanism import Mechanism, NullMechanism
from ._sendqueue import Buffer, MessageTracker, SendQueue
from ._socket_types import SocketType, can_pair, sends_identity
from ._wsqueue import ZwsSendQueue
from ._wsreader import ZwsFrameReader
from ._zmtp10 import Zmtp10FrameReader, Zmtp10SendQueue

__all__ = ["PENDING", "Connection", "ConnectionState", "Input"]

#: A deadline that is due at once: the core needs ``handle_timer(now)`` to learn the time.
PENDING = -math.inf


class ConnectionState(enum.Enum):
    """Where a connection is in its life."""

    GREETING = "greeting"
    HANDSHAKE = "handshake"
    TRAFFIC = "traffic"
    CLOSED = "closed"


class Input(enum.Enum):
    """What can happen to a connection; the keys of the transition table."""

    GREETING_ACCEPTED = "greeting accepted"
    HANDSHAKE_COMMAND = "handshake command"
    HANDSHAKE_DONE = "handshake done"
    DATA_FRAME = "data frame"
    TRAFFIC_COMMAND = "traffic command"
    PEER_ERROR = "peer sent ERROR"
    PROTOCOL_ERROR = "protocol error"
    EOF = "peer closed"
    TIMEOUT = "timeout"
    LOCAL_CLOSE = "local close"


_S, _I = ConnectionState, Input
_ENDINGS = (_I.PROTOCOL_ERROR, _I.EOF, _I.TIMEOUT, _I.LOCAL_CLOSE)

#: (state, input) -> next state. A pair that is missing is a protocol violation
#: by the peer; CLOSED absorbs every ending.
TRANSITIONS: dict[tuple[ConnectionState, Input], ConnectionState] = {
    (_S.GREETING, _I.GREETING_ACCEPTED): _S.HANDSHAKE,
    (_S.HANDSHAKE, _I.HANDSHAKE_COMMAND): _S.HANDSHAKE,
    (_S.HANDSHAKE, _I.HANDSHAKE_DONE): _S.TRAFFIC,
    (_S.HANDSHAKE, _I.PEER_ERROR): _S.CLOSED,
    (_S.TRAFFIC, _I.DATA_FRAME): _S.TRAFFIC,
    (_S.TRAFFIC, _I.TRAFFIC_COMMAND): _S.TRAFFIC,
    **{(state, ending): _S.CLOSED for state in _S for ending in _ENDINGS},
}


class _Timer(enum.Enum):
    HANDSHAKE = "handshake"
    HEARTBEAT = "heartbeat"
    HEARTBEAT_TIMEOUT = "heartbeat timeout"
    PEER_TTL = "peer ttl"


_TRAFFIC = ConnectionState.TRAFFIC
_SUBSCRIBING_PEERS = frozenset({SocketType.PUB, SocketType.XPUB})


class Connection:
    """The ZMTP state machine for one peer; see the module docstring for the contract."""

    def __init__(
        self,
        socket_type: SocketType | str,
        *,
        routing_id: bytes = b"",
        metadata: Mapping[str, bytes] | None = None,
        mechanism: Mechanism | None = None,
        zerocopy_threshold: int = 8192,
        zerocopy_write: bool = True,
        lazy_compact: bool = True,
        max_message_size: int = -1,
        receive_buffer_size: int = 65536,
        handshake_interval: float = 30.0,
        heartbeat_interval: float = 0.0,
        heartbeat_ttl: float = 0.0,
        heartbeat_timeout: float | None = None,
        bodies: BodyPool | None = None,
    ) -> None:
        """Create a connection and queue our greeting at once.

        Times are seconds; 0 switches a timer off. ``heartbeat_timeout``
        defaults to the interval, as in libzmq. ``max_message_size`` (-1 = no
        limit) applies to each frame, checked before anything is allocated.
        ``zerocopy_write``/``lazy_compact`` are the seed's switches, already
        resolved (see :class:`~zmtp_core.Toggles`): the core reads no environment here.
        Until the handshake completes, input is held to HANDSHAKE_BUDGET bytes;
        ``receive_buffer_size`` and ``max_message_size`` apply from then on.
        ``bodies`` is the socket's pool of large-frame buffers.
        """
        self.socket_type = (
            socket_type if isinstance(socket_type, SocketType) else SocketType[socket_type]
        )
        if len(routing_id) > 255:
            raise ValueError("a routing id is at most 255 bytes")
        metadata = dict(metadata or {})
        for key in metadata:
            if not key.startswith("X-"):
                raise ValueError(f"metadata names must start with 'X-': {key!r}")
        self._mechanism = mechanism if mechanism is not None else NullMechanism()
        self._properties = cmd.encode_properties(
            cmd.metadata_items(
                self.socket_type.wire_name,
                routing_id if sends_identity(self.socket_type) else None,
                metadata,
            )
        )
        self._out: SendQueue
        self._reader: FrameReader
        self._use_framing(
            SendQueue(zerocopy_threshold if zerocopy_write else None),
            FrameReader(
                buffer_size=HANDSHAKE_BUDGET,
                large_threshold=zerocopy_threshold,
                lazy_compact=lazy_compact,
                bodies=bodies,
            ),
        )
        self._traffic_limits = (receive_buffer_size, max_message_size)
        self._framing = (zerocopy_threshold, zerocopy_write, lazy_compact, bodies)
        self._websocket = False  # ZWS 2.0 framing (frame_as_websocket), not ZMTP's
        self._state = ConnectionState.GREETING
        self._partial: list[Frame] = []
        self._held_event: Event | None = None  # decoded after a batch of messages
        self._pong_end = 0  # where our last PONG ends in the output stream
        self._wraps = self._mechanism.wraps_traffic
        self._awaiting_zap = False  # an AuthenticationRequest is out
        self._zap_properties: dict[str, bytes] = {}  # User-Id and ZAP's metadata
        self._closed_event: ConnectionClosed | None = None
        self._subscriptions_in_data = self.socket_type in _SUBSCRIBING_PEERS
        self.peer_version: tuple[int, int] | None = None
        self._legacy: Greeting | None = None  # a ZMTP 1.0 or 2.0 peer's greeting

        self._heartbeat_interval = heartbeat_interval
        self._heartbeat_ttl_ds = round(heartbeat_ttl * 10)
        self._heartbeat_timeout = (
            heartbeat_interval if heartbeat_timeout is None else heartbeat_timeout
        )
        self._intervals = {
            _Timer.HANDSHAKE: handshake_interval,
            _Timer.HEARTBEAT: heartbeat_interval,
            _Timer.HEARTBEAT_TIMEOUT: self._heartbeat_timeout,
            _Timer.PEER_TTL: 0.0,
        }
        self._timers: dict[_Timer, float] = {}
        self._liveness_marks: dict[_Timer, int] = {}
        if handshake_interval > 0:
            self._timers[_Timer.HANDSHAKE] = PENDING
        #: When :meth:`handle_timer` is next due, or None when no timer runs (kept up
        #: to date by every change of the timers: reading it costs no call).
        self.next_deadline: float | None = None
        self._timers_changed()

        self._routing_id = routing_id  # (sent as a message to a ZMTP 1.0/2.0 peer)
        self._greeting = GreetingExchange(self._mechanism.name, self.socket_type)
        self._out.add_raw(encode_signature(len(routing_id)), handshake=True)

    def frame_as_websocket(self, *, random_bytes: Callable[[int], bytes] | None) -> None:
        """Speak ZWS 2.0 (RFC 45) from now on: frames as WebSocket messages, no greeting.

        The ws transport's layer calls this before any byte moves, and holds our
        output (READY, or the mechanism's first command) back until its HTTP
        upgrade is done. ``random_bytes`` is a client's source of masking keys;
        None makes this the server side, which does not mask.
        """
        if self._out.written or self._reader.bytes_received or self._state is not _S.GREETING:
            raise LocalProtocolError("the framing is chosen before any byte moves")
        threshold, zerocopy_write, lazy_compact, bodies = self._framing
        out = ZwsSendQueue(threshold if zerocopy_write else None, random_bytes=random_bytes)
        reader = ZwsFrameReader(
            out,
            buffer_size=HANDSHAKE_BUDGET,
            large_threshold=threshold,
            lazy_compact=lazy_compact,
            bodies=bodies,
        )
        self._use_framing(out, reader)
        self._websocket = True
        # ZWS has no greeting (the HTTP upgrade chose the mechanism), and behaves as
        # ZMTP 3.0 does: subscriptions travel as data frames.
        self.peer_version = (3, 0)
        self._held_event = self._start_handshake()

    def _use_framing(self, out: SendQueue, reader: FrameReader) -> None:
        """Take the send queue and frame reader of a framing (ZMTP 3's, 1.0's or ZWS's);
        until the handshake is done a frame must fit the handshake budget with its header."""
        self._out, self._reader = out, reader
        reader.limit_frames(
            HANDSHAKE_BUDGET - reader.longest_header,
            "is more than a peer may send before its handshake:",
        )
        self.receive_buffer = reader.writable  # type: ignore[method-assign]  # one call less

    # -- state ------------------------------------------------------------

    @property
    def state(self) -> ConnectionState:
        """The current state; CLOSED is permanent."""
        return self._state

    @property
    def closed(self) -> bool:
        """True once the connection is over, whatever the reason."""
        return self._state is ConnectionState.CLOSED

    def _advance(self, event: Input) -> None:
        next_state = TRANSITIONS.get((self._state, event))
        if next_state is None:
            raise RemoteProtocolError(f"{event.value} is not allowed in state {self._state.value}")
        self._state = next_state

    # -- bytes in -----------------------------------------------------------

    def receive_buffer(self) -> memoryview:
        """A writable view for ``recv_into``; report the count with :meth:`received`."""
        return self._reader.writable()  # (replaced by the reader's own method in __init__)

    def received(self, nbytes: int) -> None:
        """``nbytes`` were written into the last :meth:`receive_buffer` (0 = peer closed)."""
        if self._state is not ConnectionState.CLOSED:
            self._reader.commit(nbytes)

    def receive_data(self, data: bytes | bytearray | memoryview) -> None:
        """Take bytes from a layer that produces them; ``b""`` means the peer closed."""
        if self._state is not ConnectionState.CLOSED:
            self._reader.feed(data)

    # -- events out ---------------------------------------------------------

    def next_event(self) -> Event | NeedData:
        """The next event, or NEED_DATA. Peer violations come back as ConnectionClosed."""
        try:
            if self._state is _TRAFFIC:
                held = self._take_held_event()
                if held is not None:
                    return held
                messages = self._decode_messages(1)
                if messages:
                    return message_event(messages[0])
                if self._closed_event is not None:  # the peer broke the protocol
                    return self._closed_event
                return self._take_held_event() or self._end_of_input()
            if self._closed_event is not None:
                return self._closed_event
            return self._next_handshake_event()
        except RemoteProtocolError as error:
            return self._fail(error)

    def pull(self, limit: int) -> tuple[list[list[Frame]], Event | NeedData | None]:
        """Up to ``limit`` whole messages, and what ended the batch, in one decoder pass.

        The second item is NEED_DATA (wait for bytes), an event (a subscription,
        the handshake, the end), or None when ``limit`` messages were taken and
        more may be buffered: the one decoding call of a backend that moves messages
        in bulk (:meth:`next_event` is the same, one event at a time, for simple loops).
        """
        if self._state is not _TRAFFIC:
            return [], self.next_event()
        held = self._held_event
        if held is not None:
            self._held_event = None
            return [], held
        messages: list[list[Frame]] = []
        try:
            full = self._decode_into(messages, limit)
        except RemoteProtocolError as error:
            return messages, self._fail(error)  # the messages before it still count
        held = self._held_event
        if held is not None:
            self._held_event = None
            return messages, held
        if full:
            return messages, None
        if self._closed_event is not None:
            return messages, self._closed_event
        if not self._reader.eof:
            return messages, NEED_DATA
        return messages, self._end_of_input()

    def _take_held_event(self) -> Event | None:
        event, self._held_event = self._held_event, None
        return event

    def _decode_messages(self, limit: int) -> list[list[Frame]]:
        """The traffic decoder: whole messages out; commands handled or held as an event.

        A violation closes the connection; the messages before it are still returned.
        """
        messages: list[list[Frame]] = []
        try:
            self._decode_into(messages, limit)
        except RemoteProtocolError as error:
            self._fail(error)
        return messages

    def _decode_into(self, messages: list[list[Frame]], limit: int) -> bool:
        """Decode up to ``limit`` messages into ``messages``; True when it took that many."""
        reader = self._reader
        next_frame = reader.next_frame
        decode = self._mechanism.decode if self._wraps else None
        room = limit
        while room > 0:
            if reader._end - reader._pos < 2 and reader._body is None:
                break  # (what next_frame() would find out, without the call)
            item = next_frame()
            if item is None:
                break
            flags, body = item
            if decode is not None:
                flags, body = decode(flags, body)
            if flags:  # MORE or COMMAND
                if flags & COMMAND:
                    event = self._traffic_command(body)
                    if event is not None:
                        self._held_event = event
                        break
                else:
                    self._partial.append(body)
                continue
            if self._partial:
                frames = self._partial
                frames.append(body)
                self._partial = []
            elif self._subscriptions_in_data and body and body[0] <= 1:
                topic = bytes(body[1:])
                self._held_event = Subscribe(topic) if body[0] else Cancel(topic)
                break
            else:
                frames = [body]
            messages.append(frames)
            room -= 1
        return room <= 0

    def _traffic_command(self, body: bytes | bytearray) -> Event | None:
        name, data = cmd.split_command(body)
        if name == cmd.PING:
            ttl, context = cmd.decode_ping(data)
            # At most one PONG waits to be written, as in libzmq: a peer flooding us
            # with PINGs while it reads nothing cannot make the queue grow.
            if self._out.written >= self._pong_end:
                self._send_command(cmd.encode_pong(context))
                self._pong_end = self._out.end
            if ttl:
                self._intervals[_Timer.PEER_TTL] = ttl / 10
                self._arm_liveness(_Timer.PEER_TTL)
        elif name in (cmd.SUBSCRIBE, cmd.JOIN):  # (JOIN: a DISH's, to a RADIO)
            return Subscribe(data)
        elif name in (cmd.CANCEL, cmd.LEAVE):
            return Cancel(data)
        # PONG only proves the peer alive (bytes_received did that); libzmq
        # drops every other command after the handshake, and so do we.
        return None

    def _next_handshake_event(self) -> Event | NeedData:
        reader = self._reader
        held = self._take_held_event()  # (ZWS's ZAP request, made with the framing)
        if held is not None:
            return held
        if self._state is ConnectionState.GREETING:
            greeting = self._read_greeting()
            if greeting is None:
                return self._end_of_input()
            self.peer_version = greeting.version
            if greeting.version < (3, 0):
                self._start_legacy(greeting)
            else:
                request = self._start_handshake()
                if request is not None:
                    return request
        while True:
            if self._awaiting_zap:  # (what the peer sent meanwhile waits for the answer)
                return self._end_of_input()
            if self._mechanism.is_complete:  # (ZAP's answer was the last step)
                return self._complete_mechanism()
            item = reader.next_frame()
            if item is None:
                return self._end_of_input()
            flags, frame = item
            if self._legacy is not None:  # a ZMTP 1.0/2.0 peer's first message: its identity
                done = self._complete_handshake({}, routing_id=bytes(frame))
                if self._legacy.unversioned and self._subscriptions_in_data:
                    # A ZMTP 1.0 subscriber filters for itself: libzmq feeds it everything.
                    self._held_event = Subscribe(b"")
                return done
            if not flags & COMMAND:
                self._advance(Input.DATA_FRAME)
            body = bytes(frame)
            error_prefix = _error_prefix(body, self._mechanism.error_prefixes)
            if error_prefix is not None:
                reason = cmd.decode_error(body[len(error_prefix) :])
                self._advance(Input.PEER_ERROR)
                self._out.discard()
                message = f"peer refused the handshake: {reason}"
                status = reason.encode("latin-1", "replace")
                refusal = (
                    AuthenticationFailed(message, int(status))
                    if len(status) == 3 and status[:1] in b"345" and status[1:] == b"00"
                    else None
                )
                self._finish(ConnectionClosed(message, refusal))
                return PeerError(reason)
            self._advance(Input.HANDSHAKE_COMMAND)
            mechanism = self._mechanism
            for reply in mechanism.handle_command(body):
                self._out.add_command(reply, handshake=True)
            request = self._zap_request()
            if request is not None:
                return request
            if mechanism.is_complete:
                return self._complete_mechanism()

    def _start_handshake(self) -> AuthenticationRequest | None:
        """The greeting is settled: our mechanism speaks first (or asks ZAP first)."""
        self._advance(Input.GREETING_ACCEPTED)
        for body in self._mechanism.start(self._properties):
            self._out.add_command(body, handshake=True)
        return self._zap_request()

    def _start_legacy(self, greeting: Greeting) -> None:
        """A ZMTP 1.0 or 2.0 peer, taken as libzmq 4.3 takes one: no mechanism, no
        metadata; each side's first message is its identity. Refused where ZAP would
        be asked (libzmq's rule: it cannot be), and by the socket types born later."""
        version = "{}.{}".format(*greeting.version)
        if self._mechanism.zap_enabled:
            raise RemoteProtocolError(
                f"peer speaks ZMTP {version}, refused because ZAP is enabled "
                f"(mechanism {self._mechanism.name.decode()}, or a ZAP domain)"
            )
        if self.socket_type > SocketType.XSUB:
            raise RemoteProtocolError(
                f"peer speaks ZMTP {version}, which has no {self.socket_type.name} sockets"
            )
        self._advance(Input.GREETING_ACCEPTED)
        self._legacy = greeting
        if greeting.version == (1, 0):  # the same buffers and state, 1.0's headers
            self._out.__class__ = Zmtp10SendQueue
            self._reader.__class__ = Zmtp10FrameReader
            self._use_framing(self._out, self._reader)
        if greeting.unversioned:
            self._out.add_raw(self._routing_id)  # (our signature was this message's header)
        else:
            self._out.add_frames((self._routing_id,))

    def _read_greeting(self) -> Greeting | None:
        """The peer's greeting once it is whole (None until then); meanwhile the
        next steps of ours are queued as the peer's bytes allow."""
        reader = self._reader
        out, greeting = self._greeting.advance(reader.buffered())
        if out:
            self._out.add_raw(out, handshake=True)
        if greeting is None:
            return None
        reader.take(greeting.size)
        if greeting.version < (3, 0):
            return greeting
        expected = mechanism_field(self._mechanism.name)
        if greeting.mechanism != expected:
            theirs = greeting.mechanism.rstrip(b"\0").decode("latin-1")
            raise RemoteProtocolError(
                f"security mechanism mismatch: peer uses {theirs!r}, "
                f"we use {self._mechanism.name.decode()!r}",
                code=PROTOCOL_ERROR_MECHANISM_MISMATCH,
            )
        return greeting

    def _zap_request(self) -> AuthenticationRequest | None:
        """The question the mechanism has for ZAP, if it has one: nothing more is
        decoded until :meth:`authentication_reply` brings the answer."""
        mechanism = self._mechanism
        credentials = mechanism.zap_credentials
        if credentials is None:
            return None
        mechanism.zap_credentials = None
        self._awaiting_zap = True
        return AuthenticationRequest(mechanism.name, credentials)

    def _complete_mechanism(self) -> HandshakeComplete:
        properties = {**self._mechanism.peer_properties, **self._zap_properties}
        return self._complete_handshake(properties, properties.get("Identity", b""))

    def _complete_handshake(
        self, properties: dict[str, bytes], routing_id: bytes
    ) -> HandshakeComplete:
        raw_type = properties.get("Socket-Type")
        peer_type = "" if raw_type is None else raw_type.decode("latin-1")
        # libzmq accepts a READY without Socket-Type, and checks it when present.
        if raw_type is not None and not can_pair(self.socket_type, peer_type):
            raise RemoteProtocolError(
                f"socket type mismatch: a {peer_type or 'nameless'} peer "
                f"cannot talk to our {self.socket_type.name}",
                code=PROTOCOL_ERROR_UNREPORTED,
            )
        self._advance(Input.HANDSHAKE_DONE)
        self._reader.open_traffic(*self._traffic_limits)
        self._timers.pop(_Timer.HANDSHAKE, None)
        if self._heartbeat_interval > 0 and self._legacy is None:  # (no PING before 3.0)
            self._timers[_Timer.HEARTBEAT] = PENDING
        self._timers_changed()
        assert self.peer_version is not None
        return HandshakeComplete(
            socket_type=peer_type,
            routing_id=routing_id,
            properties=MappingProxyType(properties),
            version=self.peer_version,
        )

    def _end_of_input(self) -> Event | NeedData:
        if not self._reader.eof:
            return NEED_DATA
        if self._state is ConnectionState.CLOSED:  # (a violation in a batch got here first)
            assert self._closed_event is not None
            return self._closed_event
        during = "" if self._state is ConnectionState.TRAFFIC else " during the handshake"
        self._advance(Input.EOF)
        self._out.discard()
        return self._finish(ConnectionClosed(f"peer closed the connection{during}"))

    def _fail(self, error: RemoteProtocolError) -> ConnectionClosed:
        if self._state is _TRAFFIC or error.error_reason is None:
            self._out.discard()  # (in a handshake, our greeting must still go before ERROR)
        self._state = ConnectionState.CLOSED
        if error.error_reason is not None and self._legacy is None:
            prefix = self._mechanism.error_prefixes[0]
            self._out.add_command(cmd.encode_error(error.error_reason, prefix))
        return self._finish(ConnectionClosed(str(error), error))

    def _finish(self, event: ConnectionClosed) -> ConnectionClosed:
        self._closed_event = event
        self._timers.clear()
        self.next_deadline = None
        self._partial = []
        return event

    # -- bytes out ------------------------------------------------------

    def send_message(
        self, frames: Sequence[Buffer], *, tracker: MessageTracker | None = None
    ) -> None:
        """Queue one multipart message; large bodies are sent by reference.

        A mutable body at or above the zero-copy threshold must stay unchanged
        until ``tracker.done``: the queue holds it, not a copy.
        """
        if self._state is _TRAFFIC and frames and not self._wraps:
            self._out.add_frames(frames, tracker)
            return
        if self._state is not _TRAFFIC:
            raise LocalProtocolError(f"cannot send a message in state {self._state.value}")
        if not frames:
            raise LocalProtocolError("a message has at least one frame")
        if self._wraps:
            last = len(frames) - 1
            for index, frame in enumerate(frames):
                _, body = self._mechanism.encode(MORE if index < last else 0, frame)
                self._out.add_frames((body,))  # (a box is one plain frame on the wire)
            if tracker is not None:
                self._out.track(tracker)

    def send_subscribe(self, topic: bytes) -> None:
        """Subscribe the peer's PUB to ``topic``, in the form its ZMTP version reads."""
        self._send_subscription(cmd.SUBSCRIBE, b"\x01", topic)

    def send_cancel(self, topic: bytes) -> None:
        """Cancel a subscription to ``topic``."""
        self._send_subscription(cmd.CANCEL, b"\x00", topic)

    def _send_subscription(self, name: bytes, prefix: bytes, topic: bytes) -> None:
        if self.socket_type is SocketType.DISH:  # JOIN and LEAVE are commands on every version
            self._send_command(
                cmd.encode_command(cmd.JOIN if name == cmd.SUBSCRIBE else cmd.LEAVE, topic)
            )
        elif self.peer_version is not None and self.peer_version < (3, 1):
            self.send_message([prefix + topic])
        elif self._state is not ConnectionState.TRAFFIC:
            raise LocalProtocolError(f"cannot subscribe in state {self._state.value}")
        else:
            self._send_command(cmd.encode_command(name, topic))

    def _send_command(self, body: bytes) -> None:
        if self._wraps:
            self._out.add_frames((self._mechanism.encode(COMMAND, body)[1],))
        else:
            self._out.add_command(body)

    @property
    def mechanism_name(self) -> bytes:
        """The security mechanism's name (b"NULL", b"PLAIN", b"CURVE")."""
        return self._mechanism.name

    @property
    def direct_queue(self) -> SendQueue | None:
        """The send queue itself, when messages go into it unchanged (in traffic, no
        encryption): the socket engine's fast lane appends there without a call between."""
        return self._out if self._state is _TRAFFIC and not self._wraps else None

    def buffers_to_send(self) -> list[Buffer]:
        """The scatter list for one sendmsg (at most IOV_MAX buffers); may be empty."""
        return self._out.buffers()

    def sent(self, nbytes: int) -> bool:
        """The kernel took ``nbytes`` of the last :meth:`buffers_to_send` list.

        False when it took less than offered: wait until the socket is writable.
        """
        return self._out.advance(nbytes)

    @property
    def bytes_to_send(self) -> int:
        """Bytes queued and not yet reported sent."""
        return self._out.size

    def authentication_reply(
        self, status_code: str | None, user_id: bytes = b"", metadata: bytes = b""
    ) -> None:
        """ZAP's answer to the AuthenticationRequest this connection gave ("200"
        lets the handshake go on; None: no handler is bound). The replies and the
        rest of the handshake come from ``next_event`` and the send queue."""
        if not self._awaiting_zap:
            raise LocalProtocolError("no authentication request is waiting for a reply")
        self._awaiting_zap = False
        if self._closed_event is not None:
            return  # (closed while ZAP thought)
        try:
            if status_code == "200":
                self._zap_properties = {**cmd.decode_properties(metadata), "User-Id": user_id}
            for reply in self._mechanism.zap_reply(status_code):
                self._out.add_command(reply, handshake=True)
        except RemoteProtocolError as error:
            self._fail(error)

    def close(self) -> None:
        """End the connection from our side; queued output stays for a lingering flush."""
        if self._closed_event is None:
            self._advance(Input.LOCAL_CLOSE)
            self._finish(ConnectionClosed("closed locally"))

    def discard_output(self) -> None:
        """Drop everything still queued (linger expired); trackers report dropped."""
        self._out.discard()

    def fail(self, reason: str) -> None:
        """A layer under the connection (TLS, WebSocket) found the peer at fault.

        The connection ends; ``next_event`` reports ConnectionClosed(reason).
        """
        if self._closed_event is None:
            self._fail(RemoteProtocolError(reason))

    # -- time ---------------------------------------------------------------

    def _timers_changed(self) -> None:
        self.next_deadline = min(self._timers.values()) if self._timers else None

    def handle_timer(self, now: float) -> None:
        """Run every timer due at ``now`` (the backend's clock, in seconds)."""
        for timer in list(self._timers):
            deadline = self._timers.get(timer)
            if deadline is None:
                continue  # an earlier timer closed the connection
            # (and a deadline an earlier timer just moved is read afresh)
            if deadline == PENDING:
                self._timers[timer] = now + self._intervals[timer]
            elif deadline <= now:
                self._fire(timer, now)
        self._timers_changed()

    def _fire(self, timer: _Timer, now: float) -> None:
        if timer is _Timer.HEARTBEAT:
            if self._websocket:  # a WebSocket ping, as libzmq sends over ws (never boxed)
                self._out.add_command(cmd.encode_ping(0))
            else:
                self._send_command(cmd.encode_ping(self._heartbeat_ttl_ds))
            self._timers[timer] = now + self._heartbeat_interval
            if self._heartbeat_timeout > 0:
                self._arm_liveness(_Timer.HEARTBEAT_TIMEOUT, now)
            return
        if timer is _Timer.HANDSHAKE:
            reason = f"handshake not done within {self._intervals[timer]:g} s"
        elif self._reader.bytes_received != self._liveness_marks[timer]:
            del self._timers[timer]  # the peer spoke since: it is alive
            return
        elif timer is _Timer.HEARTBEAT_TIMEOUT:
            reason = f"heartbeat timeout: nothing from the peer for {self._heartbeat_timeout:g} s"
        else:
            reason = f"the peer's heartbeat TTL of {self._intervals[timer]:g} s expired"
        self._advance(Input.TIMEOUT)
        self._out.discard()
        self._finish(ConnectionClosed(reason))

    def _arm_liveness(self, timer: _Timer, now: float = PENDING) -> None:
        """Start a 'peer must speak by then' timer, unless one runs and still holds.

        libzmq cancels such a timer on any inbound data and re-arms it at the
        next PING; re-arming here when data came since the mark is the same.
        """
        received = self._reader.bytes_received
        if timer in self._timers and self._liveness_marks[timer] == received:
            return
        self._liveness_marks[timer] = received
        self._timers[timer] = now + self._intervals[timer]  # PENDING stays PENDING
        self._timers_changed()


def _error_prefix(body: bytes, prefixes: tuple[bytes, ...]) -> bytes | None:
    """The ERROR prefix ``body`` starts with, if it is an ERROR command."""
    for prefix in prefixes:
        if body.startswith(prefix):
            return prefix
    return None
