r"""One ZeroMQ socket, whole, as a pure state machine: :class:`SocketEngine`.

The engine owns a socket pattern (ROUTER, PUB...), every connection of it,
its bound and connected endpoints, reconnect timing, backpressure and LINGER.
The backend owns only OS sockets, readiness and the clock. It picks a
*handle* for each connection (any hashable: the socket object will do) and
tells the engine what happened:

* ``accepted(handle, listener)`` / ``dialed(handle, dialer)``: a connection
  exists (``dial_failed(dialer, reason)`` when a dial did not work out);
* ``view = receive_buffer(handle)``, ``recv_into(view)``,
  ``received(handle, n)`` (0: the peer closed); True means "read again";
* ``bufs = buffers_to_send(handle)``, ``sendmsg(bufs)``, ``sent(handle, n)``
  (any partial count); True means "there is more to write now";
* ``connection_lost(handle, reason)``: a read or write failed;
* ``handle_timer(now)`` once ``next_deadline`` has come (``-inf``: at once,
  the engine needs to learn the time);
* for the socket monitor, also what did not work out or is under way:
  ``bind_failed``, ``accept_failed``, ``dialing`` (a connect in progress).

After each call it takes what the engine asks for, while
``engine.outbox.pending`` is not empty: ``engine.take_actions()`` returns
them in the order they arose, as :class:`Action`\ s:

* :class:`Write`: a connection has bytes to write (asked once until the
  backend calls ``buffers_to_send`` for it); when to write is the backend's
  batching policy;
* :class:`Watch` (read/write interest), :class:`Dial` and :class:`Drop`
  (close that OS socket);
* :class:`AskZap`: a question for the ZAP handler (a PLAIN or CURVE
  server's), answered later with ``authenticated``;
* :class:`Report`: a :class:`MonitorEvent` for the socket monitor (only those
  ``engine.monitor_events`` asks for).

It also keeps one timer at ``engine.next_deadline`` (``engine.deadlines.changes``
counts its changes, so a backend knows when to look again).

Inside, one owner per state: a connection's :class:`Link` decodes and
delivers and reports what only the engine decides (pause, attach a pipe, ask
ZAP, drop), which the engine applies; the engine hears from every pipe (it is
their listener) and owns the endpoints' :class:`Dialer` and :class:`Listener`.

The application's side is the same object: ``send``, ``try_recv``,
``readable``/``writable``, options, ``bind``/``connect`` (after the backend
opened the listening socket, for bind), ``close``. Every call is synchronous
and does no I/O; a backend serialises calls per engine (a lock, a loop).
"""

from __future__ import annotations

import errno
import itertools
from collections.abc import Callable, Hashable, Mapping
from typing import TYPE_CHECKING, cast

from ._actions import Action, AskZap, Dial, Drop, Outbox, Report, Watch
from ._bindings import Dialer, Listener
from ._bodies import Body, BodyPool
from ._config import EngineConfiguration
from ._connection import PENDING, Connection
from ._curve import CurveClient, CurveServer
from ._datagram import DatagramConnection
from ._deadlines import Deadlines
from ._endpoints import Endpoint
from ._errors import (
    ENOCOMPATPROTO,
    PROTOCOL_ERROR_UNREPORTED,
    AuthenticationFailed,
    AuthenticationUnavailable,
    RemoteProtocolError,
    SocketError,
)
from ._events import AuthenticationRequest, ConnectionClosed, Frame, HandshakeComplete
from ._inproc import InprocEnd
from ._layer import Layer
from ._link import PAUSED, RESCHEDULE, Link, LinkInput, LinkState, Outcome
from ._mechanism import Mechanism, NullMechanism
from ._monitor import (
    ACCEPT_FAILED,
    ACCEPTED,
    BIND_FAILED,
    CLOSED,
    CONNECT_DELAYED,
    CONNECT_RETRIED,
    CONNECTED,
    DISCONNECTED,
    HANDSHAKE_FAILED_AUTH,
    HANDSHAKE_FAILED_NO_DETAIL,
    HANDSHAKE_FAILED_PROTOCOL,
    HANDSHAKE_SUCCEEDED,
    LISTENING,
    MonitorEvent,
    fd_of,
    protocol_error_code,
)
from ._options import MECHANISM_CURVE, MECHANISM_PLAIN, Options
from ._pipe import EMPTY_PROPERTIES, Pipe
from ._plain import PlainClient, PlainServer
from ._raw import RawConnection
from ._sendqueue import Buffer
from ._socket_types import SocketType
from ._sockets import create_socket
from ._transports import Layering, layering

if TYPE_CHECKING:
    import ssl

__all__ = ["SocketEngine"]

_LINGER_KEY = 0


#: The CURVE options a connection needs: our pair, and the server's key.
_CURVE_KEYS = ("CURVE_PUBLICKEY", "CURVE_SECRETKEY", "CURVE_SERVERKEY")


class SocketEngine:
    """A whole ZeroMQ socket without I/O; see the module docstring for the contract."""

    def __init__(
        self,
        socket_type: SocketType | str | int,
        *,
        options: Options | None = None,
        config: EngineConfiguration | None = None,
        body_kind: type[Body] = Body,
    ) -> None:
        """``config``: what the engine takes from outside (the environment's switches,
        its random numbers and bytes; see EngineConfiguration); ``body_kind`` is the
        class of large received frames (see BodyPool)."""
        self.config = config = config if config is not None else EngineConfiguration()
        self.rng = config.rng
        #: The socket pattern: routing, fair queueing, HWM, over one pipe per peer.
        self.pattern = create_socket(socket_type, options, rng=self.rng)
        self.options = self.pattern.options
        self.toggles = config.toggles
        #: Large-frame buffers, used again once the application is done with them.
        self.bodies = BodyPool(body_kind)
        #: What the backend must do next (see take_actions).
        self.outbox = Outbox()
        #: The events the socket monitor wants (libzmq's mask; 0: no monitor).
        self.monitor_events = 0
        self.closed = False  # the application closed the socket
        self.finished = False  # ... and nothing is left to send: all is released
        #: Every connection, by handle (read it; the engine changes it).
        self.connections: dict[Hashable, Link] = {}
        #: This socket's end of its inproc links (the backend sets its lock and wake-up).
        self.inproc = InprocEnd(self.pattern)
        self._listeners: list[Listener] = []
        self._dialers: list[Dialer] = []
        self._paused: set[Link] = set()
        #: Whose each pipe is (the engine hears from every pipe: see PipeListener).
        self._owners: dict[Pipe, Link | Dialer] = {}
        self._attaching: Link | Dialer | None = None
        #: Every timer (``deadlines.changes`` tells a backend when to look at next_deadline).
        self.deadlines = Deadlines()
        self._timed: dict[int, Link | Dialer] = {}
        self._keys = itertools.count(_LINGER_KEY + 1)
        self._lingering = False
        self._linger_delay = 0.0
        # The application's calls, bound once (they are the hot path). try_recv is
        # the pattern's own while no connection is paused (see _pause and _resume).
        self.send = self.pattern.send
        self.try_recv = self.pattern.try_recv  # type: ignore[method-assign]
        self.setsockopt = self.pattern.setsockopt
        self.getsockopt = self.pattern.getsockopt
        self.take_actions = self.outbox.take  # type: ignore[method-assign]

    def __repr__(self) -> str:
        state = "finished" if self.finished else "closed" if self.closed else "open"
        return (
            f"<SocketEngine {self.pattern.socket_type.name} {state} links={len(self.connections)}>"
        )

    # -- the application's side ------------------------------------------------------
    # (send, setsockopt and getsockopt are the pattern's own, bound in __init__.)

    def try_recv(self) -> list[Frame] | None:
        """The next whole message, or None when none waits (EFSM and the like raise).

        (While no connection is paused at RCVHWM, this is the pattern's own try_recv.)
        """
        frames = self.pattern.try_recv()
        if frames is not None and self._paused:
            self._resume()
        return frames

    def unlocked_recv(self) -> Callable[[], list[Frame] | None] | None:
        """A try_recv the owner may call without the lock that serialises the
        engine's other calls, while the pattern reads its queue plainly (None
        otherwise; ask again after setsockopt). It takes a message only where no
        other step is due, and returns None where try_recv must be called."""
        pattern = self.pattern
        if self.closed or not pattern.reads_plainly:
            return None
        return pattern._fq.take_unlocked

    def recycle(self, frame: object) -> None:
        """The application copied ``frame`` out and holds no reference to it: if the
        engine allocated it (a large body), the next large frame may reuse it."""
        if type(frame) is self.bodies.kind:
            self.bodies.recycle(frame)

    def lend(self, frame: object) -> None:
        """``frame`` goes to the application as is: if it is a large body, it may be
        reused once the application lets go of it."""
        if type(frame) is self.bodies.kind:
            self.bodies.lend(frame)

    @property
    def received_properties(self) -> Mapping[str, bytes]:
        """The properties of the connection the last message received came from
        (its peer's metadata, and ZAP's User-Id); empty for inproc."""
        last = self.pattern._fq.last
        return EMPTY_PROPERTIES if last is None else last.properties

    @property
    def has_endpoints(self) -> bool:
        """A listener or a dialer: peers may come by a transport of the backend's."""
        return bool(self._listeners or self._dialers)

    @property
    def readable(self) -> bool:
        """A message can be received now (POLLIN)."""
        return self.pattern.readable

    @property
    def writable(self) -> bool:
        """A message can be sent now (POLLOUT)."""
        return self.pattern.writable

    @property
    def socket_type(self) -> SocketType:
        return self.pattern.socket_type

    def bind(
        self,
        endpoint: Endpoint,
        text: str,
        *,
        tls_context: ssl.SSLContext | None = None,
        handle: Hashable | None = None,
    ) -> Listener:
        """The backend listens on ``endpoint`` (reported as ``text``, with the
        listening socket ``handle``): accept on it.

        ``tls_context`` is required for tls:// and wss:// (the backend reads the files).
        """
        self._check_open()
        self.check_transport(endpoint, bind=True)
        layers = self._layering(endpoint, tls_context, server_side=True)
        listener = Listener(endpoint, text, layers, handle)
        self._listeners.append(listener)
        self._emit(LISTENING, fd_of(handle), text)
        return listener

    def check_transport(self, endpoint: Endpoint, *, bind: bool) -> None:
        """Refuse a transport this socket type cannot use (ENOCOMPATPROTO, as libzmq):
        udp:// is for a DISH or a DGRAM to bind and a RADIO to connect, and a DGRAM
        has no other. (bind and connect check; a backend may ask before it opens anything.)"""
        socket_type = self.pattern.socket_type
        if endpoint.transport != "udp":
            if socket_type is SocketType.DGRAM:
                raise SocketError(ENOCOMPATPROTO, "a DGRAM socket speaks udp:// only")
            return
        allowed = (SocketType.DISH, SocketType.DGRAM) if bind else (SocketType.RADIO,)
        if socket_type not in allowed:
            verb = "bind" if bind else "connect"
            raise SocketError(
                ENOCOMPATPROTO,
                f"udp:// is for a {' or a '.join(t.name for t in allowed)} to {verb}, "
                f"not a {socket_type.name}",
            )

    def _layering(
        self, endpoint: Endpoint, tls_context: ssl.SSLContext | None, *, server_side: bool
    ) -> Layering | None:
        """The layers of ``endpoint``'s connections, read from the options now."""
        return layering(
            endpoint,
            self.options,
            server_side=server_side,
            context=tls_context,
            random_bytes=self.config.random_bytes,
        )

    def bind_failed(self, text: str, error: int, closed_fd: int | None = None) -> None:
        """The backend could not listen on ``text`` (``error``: an errno; ``closed_fd``:
        the OS socket it had opened for it, closed since)."""
        if closed_fd is not None:
            self._emit(CLOSED, closed_fd, "")
        self._emit(BIND_FAILED, error, text)

    def unbind(self, listener: Listener) -> None:
        """Stop accepting on ``listener``; the connections accepted there are dropped."""
        self._stop_listening(listener)
        if listener in self._listeners:
            self._listeners.remove(listener)
        for link in [link for link in self.connections.values() if link.origin is listener]:
            self._drop(link, "unbound")

    def _stop_listening(self, listener: Listener) -> None:
        if not listener.closed:
            listener.closed = True
            self._emit(CLOSED, fd_of(listener.handle), listener.text)

    def connect(
        self, endpoint: Endpoint, text: str, *, tls_context: ssl.SSLContext | None = None
    ) -> Dialer:
        """Connect to ``endpoint`` (as the user wrote it: ``text``), now and after each loss.

        Messages may be sent before the peer exists (unless IMMEDIATE).
        """
        self._check_open()
        self.check_transport(endpoint, bind=False)
        layers = self._layering(endpoint, tls_context, server_side=False)
        dialer = Dialer(self.options, next(self._keys), endpoint, text, layers)
        if not dialer.immediate:  # messages may queue before the peer exists
            dialer.pipe = self._attach_pipe(dialer, dialer.routing_id)
        self._dialers.append(dialer)
        self._timed[dialer.key] = dialer
        self.outbox.pending.append(Dial(dialer, endpoint))
        return dialer

    def disconnect(self, dialer: Dialer) -> None:
        """Stop connecting to ``dialer``'s endpoint and drop its connection and pipe."""
        self._close_dialer(dialer)

    def close(self, linger: int | None = None) -> None:
        """The application is done: listen and dial no more, and linger (LINGER ms).

        With LINGER 0 everything is dropped now; otherwise queued messages keep
        leaving until sent (then :attr:`finished`) or until LINGER runs out.
        """
        if self.closed:
            return
        self.closed = True
        for inproc in self.inproc.links:  # what waits for an inproc peer is its, whatever
            inproc.leave(self.inproc)  # LINGER says (the backend then lets each depart)
        if linger is not None:
            self.options.set("LINGER", linger)
        linger_ms: int = self.options["LINGER"]
        for listener in self._listeners:
            self._stop_listening(listener)
        self._listeners.clear()
        if linger_ms == 0:
            self.finish()
            return
        self._lingering = True
        for link in list(self.connections.values()):
            link.move(LinkInput.LINGER)
            if link.pipe is not None:
                link.pipe.sink = None
            if link.state.ready and link.drained:
                self._drop(link, "socket closed")
        for dialer in list(self._dialers):
            dialer.lingering = True
            if dialer.handle is None and dialer.drained:
                self._close_dialer(dialer)
        if linger_ms > 0:
            self._linger_delay = linger_ms / 1000
            self.deadlines.set(_LINGER_KEY, PENDING)
        self.check_linger()

    def check_linger(self) -> None:
        """Finish a lingering socket once nothing is left to send (call after moving
        messages out of its pipes by other means, as inproc does)."""
        if (
            self._lingering
            and not self.connections
            and not any(p.outbound for p in self.pattern.pipes)
        ):
            self.finish()

    # -- the backend's side: connections -------------------------------------------------

    def take_actions(self) -> list[Action]:
        """Everything the engine asks of its backend, oldest first (the outbox is empty
        after): call it after each call while ``outbox.pending`` is not empty.

        (This is the outbox's own ``take``, bound in ``__init__``: it is the hot path.)
        """
        return self.outbox.take()

    def accepted(self, handle: Hashable, listener: Listener) -> None:
        """The backend accepted a connection on ``listener``."""
        if listener.closed or self.closed:
            self.outbox.pending.append(Drop(handle, "not listening", [], listener.text, False))
            return
        self._emit(ACCEPTED, fd_of(handle), listener.text)
        self._add_link(handle, listener)

    def accept_failed(self, listener: Listener, error: int) -> None:
        """Accepting on ``listener`` failed (``error``: an errno, EMFILE say)."""
        self._emit(ACCEPT_FAILED, error, listener.text)

    def dialing(self, dialer: Dialer, handle: Hashable) -> None:
        """The backend's connect for ``dialer`` is in progress (libzmq's 'delayed')."""
        self._emit(CONNECT_DELAYED, errno.EINPROGRESS, dialer.text)

    def dialed(self, handle: Hashable, dialer: Dialer) -> None:
        """The backend connected ``dialer``'s endpoint."""
        if dialer.closed:
            self.outbox.pending.append(Drop(handle, "disconnected", [], dialer.text, False))
            return
        self._emit(CONNECTED, fd_of(handle), dialer.text)
        dialer.handle = handle
        self._add_link(handle, dialer)

    def dial_failed(self, dialer: Dialer, reason: str, handle: Hashable | None = None) -> None:
        """A dial did not connect (``handle``: the socket it tried, now closed): try
        again later (RECONNECT_IVL)."""
        if handle is not None:
            self._emit(CLOSED, fd_of(handle), dialer.text)
        if not dialer.closed:
            self._retry(dialer)

    def connection_lost(self, handle: Hashable, reason: str) -> None:
        """Reading or writing ``handle`` failed: the connection is over."""
        link = self.connections.get(handle)
        if link is not None:
            self._drop(link, reason, failed=True)

    def receive_buffer(self, handle: Hashable) -> memoryview:
        """Where ``recv_into`` should write for ``handle``."""
        return self.connections[handle].conn.receive_buffer()

    def received(self, handle: Hashable, nbytes: int) -> bool:
        """``nbytes`` arrived in the last receive buffer (0: the peer closed).

        True while the connection wants more: read again if the kernel filled the view.
        """
        try:
            link = self.connections[handle]
        except KeyError:
            return False
        link.conn.received(nbytes)
        outcome = link.process()
        return not link.paused if outcome is None else self._settle(link, outcome)

    def received_from(self, handle: Hashable, nbytes: int, source: tuple[str, int]) -> bool:
        """A datagram of ``nbytes`` from ``source`` arrived in the last receive buffer
        (a DGRAM's socket, read with ``recvfrom_into``); True: read again."""
        link = self.connections.get(handle)
        if link is None:
            return False
        cast(DatagramConnection, link.conn).received_from(nbytes, source)
        outcome = link.process()
        return not link.paused if outcome is None else self._settle(link, outcome)

    def destination(self, handle: Hashable) -> tuple[str, int] | None:
        """Where the next datagram of ``handle`` goes (a DGRAM's: ``sendmsg`` to it);
        None for a connected socket."""
        conn = self.connections[handle].conn
        return conn.destination if isinstance(conn, DatagramConnection) else None

    def buffers_to_send(self, handle: Hashable) -> list[Buffer]:
        """The scatter list for one ``sendmsg`` on ``handle`` (may be empty)."""
        try:
            link = self.connections[handle]
        except KeyError:
            return []
        link.queued = False
        pipe = link.pipe
        if pipe is not None and pipe.outbound and link.state.ready:
            link.feed()
        direct = link.direct
        return link.conn.buffers_to_send() if direct is None else direct.buffers()

    def sent(self, handle: Hashable, nbytes: int) -> bool:
        """The kernel took ``nbytes`` of the last list; True: write again now."""
        try:
            link = self.connections[handle]
        except KeyError:
            return False
        direct = link.direct
        conn = link.conn
        if not (conn.sent(nbytes) if direct is None else direct.advance(nbytes)):
            link.queued = True  # the kernel is full: wait until it is writable
            if not link.blocked:
                link.blocked = True
                self._watch(link)
            return False
        if link.blocked:
            link.blocked = False
            self._watch(link)
        pipe = link.pipe
        if (conn.bytes_to_send if direct is None else direct._size) or (
            link.state.ready and pipe is not None and pipe.outbound
        ):
            return True
        if link.state is LinkState.LINGERING:
            self._drop(link, "linger: everything was sent")
        return False

    def links_ready(self) -> int:
        """Connections whose handshake completed."""
        return sum(1 for link in self.connections.values() if link.state.ready)

    # -- the backend's side: time -----------------------------------------------------

    @property
    def next_deadline(self) -> float | None:
        """When :meth:`handle_timer` is due (``-inf``: now), or None."""
        return self.deadlines.next

    def handle_timer(self, now: float) -> None:
        """Run everything due at ``now`` (the backend's clock, in seconds)."""
        for key in self.deadlines.pop_due(now):
            if key == _LINGER_KEY:
                self._linger_timer(now)
                continue
            target = self._timed.get(key)
            if isinstance(target, Link):
                target.deadline = None  # (the heap dropped it)
                target.conn.handle_timer(now)
                self._process(target)  # a timeout shows as ConnectionClosed; a PING needs writing
            elif target is not None:
                self._dialer_timer(target, now)

    # -- internals -------------------------------------------------------------------

    def _check_open(self) -> None:
        if self.closed:
            raise SocketError(errno.ENOTSOCK, "the socket is closed")

    def _add_link(self, handle: Hashable, origin: Listener | Dialer) -> Link:
        conn: Connection | RawConnection
        layers = origin.layering
        socket_type = self.pattern.socket_type
        if socket_type is SocketType.STREAM:
            conn, layers = RawConnection(), None  # (raw TCP: no ZMTP, no layers)
        elif origin.endpoint.transport == "udp":
            conn = DatagramConnection(socket_type)
        else:
            conn = Connection(
                self.pattern.socket_type,
                bodies=self.bodies,
                mechanism=self._new_mechanism(),
                **self.options.connection_kwargs(self.toggles),
            )
        layered = conn if layers is None else layers(cast(Connection, conn))
        link = Link(self.outbox, handle, next(self._keys), layered, origin)
        if self._lingering:
            link.move(LinkInput.LINGER)
        self.connections[handle] = link
        self._timed[link.key] = link
        self.outbox.pending.append(Watch(handle, True, False))
        if layered is conn and type(conn) is not Connection:
            self._process(link)  # no handshake: the peer is there (STREAM's connect notice)
        else:
            link.queue()  # our greeting goes out at once
        self._reschedule(link)
        return link

    def _emit(self, event: int, value: int, endpoint: str) -> None:
        if self.monitor_events & event:
            self.outbox.pending.append(Report(MonitorEvent(event, value, endpoint)))

    # -- pipes (the engine hears from each: it is their PipeListener) --------------------

    def _attach_pipe(self, owner: Link | Dialer, routing_id: bytes | None = None) -> Pipe:
        """A pipe for ``owner`` (a dialer's, or an accepted connection's once handshaken)."""
        self._attaching = owner  # (a PAIR may refuse the pipe before attach returns)
        try:
            pipe = self.pattern.attach_pipe(
                listener=self,
                locally_initiated=isinstance(owner, Dialer) or isinstance(owner.origin, Dialer),
                routing_id=routing_id,
            )
        finally:
            self._attaching = None
        if owner.closed:  # refused while attaching: let go of it at once
            pipe.detach()
        else:
            self._owners[pipe] = owner
        return pipe

    def _detach(self, pipe: Pipe) -> None:
        self._owners.pop(pipe, None)
        pipe.detach()

    def output_ready(self, pipe: Pipe) -> None:
        """A message (or subscription) waits in ``pipe``: its connection should write."""
        link = self._owners.get(pipe)
        if type(link) is Link and link.state.ready and not link.queued:
            link.queue()  # (a dialer's pipe without a connection: it simply waits)

    def close_requested(self, pipe: Pipe, reason: str) -> None:
        """The pattern refuses this peer (PAIR's second one, a ROUTER handover)."""
        owner = self._owners.get(pipe) or self._attaching
        if isinstance(owner, Link):
            self._drop(owner, reason)
        elif owner is not None:
            self._close_dialer(owner)

    def close_when_sent(self, pipe: Pipe) -> None:
        """Close once everything queued is written (STREAM's empty message); a dialer's
        pipe without a connection has nothing to close."""
        link = self._owners.get(pipe)
        if type(link) is not Link:
            return
        link.move(LinkInput.LINGER)
        pipe.sink = None
        if link.drained:
            self._drop(link, "closed by the application")
        elif not link.queued:
            link.queue()

    # -- security ---------------------------------------------------------------------

    def _new_mechanism(self) -> Mechanism | None:
        """A fresh mechanism for a new connection, as the options say (None: NULL)."""
        options = self.options
        mechanism = options["MECHANISM"]
        if mechanism == MECHANISM_PLAIN:
            if options["PLAIN_SERVER"]:
                return PlainServer()
            return PlainClient(options["PLAIN_USERNAME"], options["PLAIN_PASSWORD"])
        if mechanism == MECHANISM_CURVE:
            keys = [options[name] or bytes(32) for name in _CURVE_KEYS]
            if options["CURVE_SERVER"]:
                enforce = bool(options["ZAP_ENFORCE_DOMAIN"])
                return CurveServer(keys[0], keys[1], enforce, random_bytes=self.config.random_bytes)
            return CurveClient(*keys, random_bytes=self.config.random_bytes)
        if options["ZAP_DOMAIN"]:
            return NullMechanism(ask_zap=True, enforce_domain=bool(options["ZAP_ENFORCE_DOMAIN"]))
        return None

    def authenticated(
        self, handle: Hashable, status_code: str | None, user_id: bytes = b"", metadata: bytes = b""
    ) -> None:
        """ZAP's answer to a request in :attr:`zap_requests` (None: no handler is
        bound); the handshake of that connection goes on or ends."""
        link = self.connections.get(handle)
        if link is None:
            return  # (gone while ZAP thought)
        link.connection.authentication_reply(status_code, user_id, metadata)
        self._process(link)

    def _process(self, link: Link) -> bool:
        """Let ``link`` deliver what it decoded; True while it wants more bytes."""
        return self._settle(link, link.process())

    def _settle(self, link: Link, outcome: Outcome | None) -> bool:
        """Act on what ``link`` reported, letting it go on until it needs bytes."""
        while outcome is not None:
            if outcome is RESCHEDULE:
                self._reschedule(link)
                break
            if outcome is PAUSED:
                self._pause(link)
                if link.connection.next_deadline != link.deadline:
                    self._reschedule(link)
                break
            kind = type(outcome)
            if kind is HandshakeComplete:
                self._handshake_done(link, cast(HandshakeComplete, outcome))
                if link.closed:
                    return False
            elif kind is AuthenticationRequest:
                request = cast(AuthenticationRequest, outcome)
                self.outbox.pending.append(
                    AskZap(link.handle, request.mechanism, request.credentials)
                )
            elif kind is ConnectionClosed:
                closed = cast(ConnectionClosed, outcome)
                self._drop(link, closed.reason, failed=True, error=closed.error)
                return False
            else:  # the pattern refused what the peer sent
                error = cast(RemoteProtocolError, outcome)
                self._drop(link, str(error), error=error)
                return False
            outcome = link.process()
        return not link.paused

    def _handshake_done(self, link: Link, event: HandshakeComplete) -> None:
        link.move(LinkInput.HANDSHAKE_DONE)
        self._emit(HANDSHAKE_SUCCEEDED, 0, link.origin.text)
        conn = link.conn
        if isinstance(conn, Layer):
            link.conn = conn = conn.settled()
        link.direct = conn.direct_queue if isinstance(conn, Connection) else None
        dialer = link.origin
        if not isinstance(dialer, Dialer):
            pipe = self._attach_pipe(link)
        else:
            dialer.interval = self.options["RECONNECT_IVL"]  # success resets the backoff
            if dialer.pipe is None:  # IMMEDIATE: the pipe exists only while connected
                dialer.pipe = self._attach_pipe(link, dialer.routing_id)
            pipe = dialer.pipe
            self._owners[pipe] = link
        link.pipe = pipe
        pipe.all_groups = isinstance(link.connection, DatagramConnection)  # (libzmq's rule)
        pipe.properties = event.properties
        pipe.connected(event.routing_id, event.socket_type)
        if link.closed:
            return  # the pattern refused the peer (PAIR's second one)
        if pipe.outbound:
            self.output_ready(pipe)
        elif not link.state.lingering:
            pipe.sink = link
        if link.state.lingering and link.drained:
            self._drop(link, "linger: everything was sent")

    def _drop(
        self,
        link: Link,
        reason: str,
        *,
        failed: bool = False,
        error: RemoteProtocolError | None = None,
    ) -> None:
        """Forget a connection now; the backend closes its OS socket. ``failed``: it
        broke (``error``: the peer's violation, if that was why)."""
        if link.closed:
            return
        handshaken = link.state.ready
        link.move(LinkInput.DROP)
        if (failed or error is not None) and self.monitor_events:
            self._report_failure(link, error, handshaken)
        del self.connections[link.handle]
        self.deadlines.clear(link.key)
        del self._timed[link.key]
        if link.paused:
            self._paused.discard(link)
            if not self._paused:
                self.try_recv = self.pattern.try_recv  # type: ignore[method-assign]
        conn = link.conn
        conn.close()
        farewell = conn.buffers_to_send() if failed and conn.bytes_to_send else []
        conn.discard_output()
        pipe = link.pipe
        if pipe is not None:
            pipe.sink = None
            if self._owners.get(pipe) is link:
                del self._owners[pipe]
        origin = link.origin
        if isinstance(origin, Dialer):
            self._dialer_lost(origin)
        elif pipe is not None:
            self._detach(pipe)
        self.outbox.pending.append(
            Drop(link.handle, reason, farewell, origin.text, failed and not handshaken)
        )
        self.check_linger()

    def _report_failure(
        self, link: Link, error: RemoteProtocolError | None, handshaken: bool
    ) -> None:
        """What libzmq's monitor says of a connection that broke."""
        endpoint = link.origin.text
        if not handshaken:
            if isinstance(error, AuthenticationFailed):
                self._emit(HANDSHAKE_FAILED_AUTH, error.status_code, endpoint)
            elif isinstance(error, AuthenticationUnavailable):
                self._emit(HANDSHAKE_FAILED_NO_DETAIL, errno.EFAULT, endpoint)
            elif error is not None:
                code = protocol_error_code(error)
                if code != PROTOCOL_ERROR_UNREPORTED:
                    self._emit(HANDSHAKE_FAILED_PROTOCOL, code, endpoint)
            else:
                self._emit(HANDSHAKE_FAILED_NO_DETAIL, 0, endpoint)
        self._emit(DISCONNECTED, fd_of(link.handle), endpoint)

    def _dialer_lost(self, dialer: Dialer) -> None:
        dialer.handle = None
        pipe = dialer.pipe
        if pipe is not None:
            if dialer.immediate or dialer.lingering:
                self._detach(pipe)
                dialer.pipe = None
            else:
                self._owners[pipe] = dialer
                pipe.disconnected()
        if dialer.lingering:
            self._close_dialer(dialer)
        else:
            self._retry(dialer)

    def _retry(self, dialer: Dialer) -> None:
        delay = dialer.backoff(self.options, self.rng)
        if delay is None:  # RECONNECT_IVL -1: never again
            self._close_dialer(dialer)
            return
        dialer.delay = delay
        self.deadlines.set(dialer.key, PENDING)  # (the delay starts when we know the time)
        self._emit(CONNECT_RETRIED, round(delay * 1000), dialer.text)

    def _dialer_timer(self, dialer: Dialer, now: float) -> None:
        if dialer.closed:
            return
        if dialer.delay is not None:
            self.deadlines.set(dialer.key, now + dialer.delay)
            dialer.delay = None
        else:
            self.outbox.pending.append(Dial(dialer, dialer.endpoint))

    def _close_dialer(self, dialer: Dialer) -> None:
        """disconnect(), a refused pipe, or the end of the socket: drop everything now."""
        if dialer.closed:
            return
        dialer.closed = True
        if dialer in self._dialers:
            self._dialers.remove(dialer)
        self.deadlines.clear(dialer.key)
        self._timed.pop(dialer.key, None)
        link = self.connections.get(dialer.handle) if dialer.handle is not None else None
        if link is not None:
            self._drop(link, "disconnected")  # (comes back here: closed already)
        if dialer.pipe is not None:
            self._detach(dialer.pipe)
            dialer.pipe = None
        self.check_linger()

    def _reschedule(self, link: Link) -> None:
        link.deadline = deadline = link.connection.next_deadline
        if not link.closed:
            self.deadlines.set(link.key, deadline)

    def _watch(self, link: Link) -> None:
        self.outbox.pending.append(Watch(link.handle, not link.paused, link.blocked))

    def _pause(self, link: Link) -> None:
        if not link.paused:
            link.paused = True
            if link.pipe is not None:
                link.pipe.sender_held = True
            self._paused.add(link)
            self._watch(link)
            self.try_recv = self._try_recv_resuming  # type: ignore[method-assign]

    def _try_recv_resuming(self) -> list[Frame] | None:
        return SocketEngine.try_recv(self)

    def _resume(self) -> None:
        """The application read from a full pipe: read again once it is low."""
        for link in list(self._paused):
            pipe = link.pipe
            if pipe is not None and pipe.inbound_low and not link.closed:
                link.paused = pipe.sender_held = False
                self._paused.discard(link)
                self._watch(link)
                self._process(link)  # whole messages may wait in the buffer already
        if not self._paused:
            self.try_recv = self.pattern.try_recv  # type: ignore[method-assign]

    def _linger_timer(self, now: float) -> None:
        if self._lingering and self._linger_delay > 0:
            self.deadlines.set(_LINGER_KEY, now + self._linger_delay)
            self._linger_delay = 0.0
        elif self._lingering:
            self.finish()

    def finish(self) -> None:
        """Drop everything that is left now (LINGER ran out, or the owner gives up)."""
        self._lingering = False
        self.deadlines.clear(_LINGER_KEY)
        for dialer in list(self._dialers):
            self._close_dialer(dialer)
        for link in list(self.connections.values()):
            self._drop(link, "socket closed")
        self.pattern.close()  # detaches the pipes
        self._owners.clear()
        self.finished = True
