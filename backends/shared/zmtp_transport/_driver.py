"""Runs one :class:`~zmtp_core.SocketEngine` over raw OS sockets.

The engine decides everything a ZeroMQ socket decides; this driver does what
it asks with real sockets and a backend's :class:`Loop`: it listens and
accepts, dials (with CONNECT_TIMEOUT), reads with ``recv_into`` into the
engine's buffers, writes its scatter lists with one ``sendmsg``, closes what
it drops, and keeps one timer at the engine's next deadline. Handles are the
connected ``socket.socket`` objects themselves.

Everything here runs under whatever the backend uses to protect the zmtp
socket (its loop thread, a lock); :meth:`service` is called after every call
into the engine.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import socket
from collections.abc import Callable
from functools import partial
from typing import Any, cast

from zmtp_core import (
    PENDING,
    AskZap,
    Dial,
    Dialer,
    Drop,
    Endpoint,
    Listener,
    MonitorEvent,
    Options,
    Report,
    SocketEngine,
    SocketError,
    SocketType,
    Watch,
    Write,
)

from ._loop import Handle, Loop
from ._sockets import BindFailed, BoundSocket, describe, open_listener, tcp_address, tune
from ._tls_files import tls_context_for
from ._udp import open_udp_receiver, open_udp_sender

__all__ = ["READS_PER_EVENT", "Driver"]

log = logging.getLogger("zmtp")

#: Reads per readiness event before giving others a turn.
READS_PER_EVENT = 16
#: Accepts per readiness event of a listening socket.
ACCEPTS_PER_EVENT = 64


class Driver:
    """The I/O half of one zmtp socket: its engine's requests carried out."""

    def __init__(self, engine: SocketEngine, loop: Loop, on_finished: Callable[[], None]) -> None:
        self.engine = engine
        self.loop = loop
        self._on_finished = on_finished
        self._listening: dict[Listener, BoundSocket] = {}
        self._connecting: dict[socket.socket, tuple[Dialer, Handle | None]] = {}
        #: Connections the engine wants read (the application may read them inline).
        self.reading: set[socket.socket] = set()
        self._timer: Handle | None = None
        self._deadline: float | None = None
        self._deadline_changes = -1  # (the engine's count when we last looked)
        self._last_failure: dict[str, str] = {}  # per endpoint: logged once in a row
        self._finished = False
        #: A DGRAM's datagrams carry their addresses: recvfrom and sendmsg to one.
        self._addressed = engine.socket_type is SocketType.DGRAM
        #: Where the engine's monitor events go (set while a monitor is attached).
        self.on_events: Callable[[list[MonitorEvent]], None] | None = None
        #: Called after each service (while Socket.FD is in use: it raises the signal).
        self.on_service: Callable[[], None] | None = None
        #: Asks ZAP the engine's questions; without it, every question is answered
        #: "no handler".
        self.on_zap: Callable[[AskZap], None] | None = None

    # -- what the application asks for -------------------------------------------

    def bind(self, endpoint: Endpoint, text: str) -> Listener:
        """Listen on ``endpoint`` (``text``, as the user wrote it); errors (EADDRINUSE,
        bad TLS files) raise before anything."""
        engine, options = self.engine, self.engine.options
        engine.check_transport(endpoint, bind=True)  # (before any OS socket exists)
        tls = tls_context_for(endpoint, options, server_side=True)
        try:
            bound = self._open_listener(endpoint, options)
        except SocketError as error:
            engine.bind_failed(
                text, error.errno, error.fd if isinstance(error, BindFailed) else None
            )
            self.service()
            raise
        datagrams = endpoint.transport == "udp"
        try:
            listener = engine.bind(
                endpoint, bound.last_endpoint, tls_context=tls, handle=bound.sock
            )
            if datagrams:  # a DISH's udp:// socket is at once its one connection
                engine.accepted(bound.sock, listener)
            else:
                self.loop.watch(bound.sock, True, False, partial(self._acceptable, listener))
        except BaseException:
            bound.sock.close()
            bound.cleanup()
            raise
        if not datagrams:
            self._listening[listener] = bound
        self.service()
        return listener

    def _open_listener(self, endpoint: Endpoint, options: Options) -> BoundSocket:
        if endpoint.transport == "udp":
            sock = open_udp_receiver(endpoint, options)
            return BoundSocket(sock, describe(sock, endpoint))
        try:
            return open_listener(endpoint, options)
        except SocketError as error:
            if error.errno != errno.EADDRINUSE or not self.loop.settle():
                raise
            return open_listener(endpoint, options)  # (our closed listener let go)

    def connect(self, endpoint: Endpoint, text: str) -> Dialer:
        """Connect (and reconnect) to ``endpoint``; a bad address raises before anything."""
        options = self.engine.options
        if endpoint.over_tcp:
            tcp_address(endpoint, options, bind=False)
        tls = tls_context_for(endpoint, options, server_side=False)
        dialer = self.engine.connect(endpoint, text, tls_context=tls)
        self.service()
        return dialer

    def unbind(self, listener: Listener) -> socket.socket:
        """Stop listening; returns the listening socket (closed once the loop lets go)."""
        self.engine.unbind(listener)
        if listener.endpoint.transport == "udp":  # (its connection's Drop closes it)
            sock = cast(socket.socket, listener.handle)
        else:
            sock = self._stop_listening(listener)
        self.service()
        return sock

    def disconnect(self, dialer: Dialer) -> None:
        self.engine.disconnect(dialer)
        self._abandon_dials()
        self.service()

    def close(self, linger: int | None) -> None:
        """The socket is closed: stop listening; the engine lingers (or not)."""
        self.engine.close(linger)
        for listener in list(self._listening):
            self._stop_listening(listener)
        self._abandon_dials()
        self.service()

    # -- reading and writing -----------------------------------------------------------

    def read(self, sock: socket.socket) -> None:
        """Read what the kernel has (up to a bound) and hand it to the engine."""
        if self._addressed:
            self._read_addressed(sock)
            return
        engine = self.engine
        connections = engine.connections
        reads = READS_PER_EVENT
        while reads and sock in connections:
            reads -= 1
            view = engine.receive_buffer(sock)
            try:
                count = sock.recv_into(view)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                if sock.type == socket.SOCK_DGRAM:
                    continue  # (an ICMP error from an earlier datagram: UDP goes on)
                count = 0  # a reset ends the input like a close
            offered = view.nbytes
            del view  # (a large body nothing views any more grows in place)
            if not engine.received(sock, count) or count < offered:
                return  # paused or closed, or the kernel had less than we offered

    def _read_addressed(self, sock: socket.socket) -> None:
        """A DGRAM's socket: each datagram with the address it came from."""
        engine = self.engine
        for _ in range(READS_PER_EVENT):
            view = engine.receive_buffer(sock)
            try:
                count, source = sock.recvfrom_into(view)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                continue  # (an ICMP error from an earlier datagram: UDP goes on)
            del view
            if not engine.received_from(sock, count, source[:2]):
                return

    def write(self, sock: Any) -> None:
        """Write what the engine has for ``sock`` until done or the kernel is full."""
        engine = self.engine
        while True:
            buffers = engine.buffers_to_send(sock)
            if not buffers:
                return
            try:
                if self._addressed:
                    written = sock.sendmsg(buffers, (), 0, engine.destination(sock))
                else:
                    written = sock.sendmsg(buffers)
            except (BlockingIOError, InterruptedError):
                written = 0
            except OSError as error:
                if sock.type != socket.SOCK_DGRAM:
                    engine.connection_lost(sock, f"write failed: {error.strerror or error}")
                    return
                # (an ICMP error, for this datagram or an earlier one: lost, as UDP loses)
                written = sum(memoryview(buffer).nbytes for buffer in buffers)
            if not engine.sent(sock, written):
                return

    def read_inline(self, limit: int) -> bool:
        """Read the kernel now, from the application's thread (sockets with few peers)."""
        reading = self.reading
        if not reading or len(reading) > limit:
            return False
        for sock in list(reading):
            self.read(sock)
        self.service()
        return True

    # -- after every call --------------------------------------------------------------

    def service(self) -> None:
        """Carry out what the engine asks, and keep its timer."""
        engine = self.engine
        if engine.outbox.pending:
            self.flush(then_service=False)  # (the rest of this call is that service)
        if engine.deadlines.changes != self._deadline_changes:
            self._schedule()
        if engine.finished and not self._finished:
            self._finished = True
            self._on_finished()
        if self.on_service is not None:
            self.on_service()

    def flush(self, *, then_service: bool = True) -> None:
        """Carry out every action the engine asks for, in order, until it asks for
        nothing more (the batcher's call: mostly writes); then, if any was more than
        a write, the rest of :meth:`service` (unless ``service`` itself called)."""
        engine = self.engine
        outbox = engine.outbox
        more = False
        while outbox.pending:
            for action in engine.take_actions():
                match action:
                    case Write():
                        self.write(action.handle)
                        continue
                    case Watch():
                        self._watch(action)
                    case Drop():
                        self._drop(action)
                    case Dial():
                        self._dial(action)
                    case AskZap():
                        self._ask_zap(action)
                    case Report() if self.on_events is not None:
                        self.on_events([action.event])
                more = True
        if more and then_service:
            self.service()  # (the engine's timer, and whether it has finished)

    def _ask_zap(self, question: AskZap) -> None:
        if self.on_zap is not None:
            self.on_zap(question)
        else:
            self.engine.authenticated(question.handle, None)

    def _watch(self, watch: Watch) -> None:
        sock = cast(socket.socket, watch.handle)
        if watch.read:
            self.reading.add(sock)
        else:
            self.reading.discard(sock)
        self.loop.watch(sock, watch.read, watch.write, partial(self._ready, sock))

    def _ready(self, sock: socket.socket, readable: bool, writable: bool) -> None:
        """The loop's call for a connection: write first (it frees kernel buffers), then read."""
        if writable:
            self.write(sock)
        if readable:
            self.read(sock)
        self.service()

    def _drop(self, action: Drop) -> None:
        sock = cast(socket.socket, action.handle)
        self.reading.discard(sock)
        if action.farewell:
            with contextlib.suppress(OSError):
                sock.sendmsg(action.farewell)  # libzmq's ERROR: best effort
        self.loop.release(sock)
        if action.handshake_failed:
            if self._last_failure.get(action.endpoint) != action.reason:
                self._last_failure[action.endpoint] = action.reason
                log.warning(
                    "%s: connection failed before its handshake: %s", action.endpoint, action.reason
                )
        elif not action.reason.startswith(("unbound", "disconnected", "socket closed")):
            self._last_failure.pop(action.endpoint, None)

    # -- time -------------------------------------------------------------------------

    def _schedule(self) -> None:
        """Keep one loop timer at the engine's next deadline (serving what is due now)."""
        engine, loop = self.engine, self.loop
        while True:
            self._deadline_changes = engine.deadlines.changes
            deadline = engine.next_deadline
            if deadline is None or (deadline != PENDING and deadline > loop.time()):
                break
            engine.handle_timer(loop.time())
            if engine.outbox.pending:
                self.service()  # (which comes back here)
                return
        if deadline == self._deadline:
            return
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._deadline = deadline
        if deadline is not None:
            self._timer = loop.call_at(deadline, self._on_timer)

    def rearm(self) -> None:
        """The loop's timer was lost (an event loop closed and the socket moved to the
        next one): set it again, on the loop as it is now."""
        self._timer, self._deadline, self._deadline_changes = None, None, -1
        self._schedule()

    def _on_timer(self) -> None:
        self._timer = None
        self._deadline = None
        self._deadline_changes = -1  # (look again, whatever the engine did)
        self.engine.handle_timer(self.loop.time())
        self.service()

    # -- listening ------------------------------------------------------------------------

    def _acceptable(self, listener: Listener, readable: bool, writable: bool) -> None:
        bound = self._listening.get(listener)
        if bound is None:
            return
        engine, options = self.engine, self.engine.options
        for _ in range(ACCEPTS_PER_EVENT):
            try:
                sock, _ = bound.sock.accept()
            except (BlockingIOError, InterruptedError):
                break
            except OSError as error:  # out of descriptors or the like: again when readable
                engine.accept_failed(listener, error.errno or errno.EINVAL)
                self.service()
                break
            sock.setblocking(False)
            tune(sock, options, listener.endpoint.over_tcp)
            engine.accepted(sock, listener)
            self.service()
            if listener.closed:
                break

    def _stop_listening(self, listener: Listener) -> socket.socket:
        bound = self._listening.pop(listener)
        self.loop.release(bound.sock)
        bound.cleanup()
        return bound.sock

    # -- dialing -------------------------------------------------------------------------

    def _dial(self, action: Dial) -> None:
        engine, endpoint, dialer = self.engine, action.endpoint, action.dialer
        options = engine.options
        if endpoint.transport == "udp":
            self._dial_udp(dialer, endpoint)
            return
        try:
            if endpoint.transport == "ipc":
                family: socket.AddressFamily = socket.AF_UNIX
                address: str | tuple[str, int] = endpoint.path
            else:
                family, address = tcp_address(endpoint, options, bind=False)
        except SocketError as error:
            engine.dial_failed(dialer, error.strerror)  # a name that does not resolve yet
            return
        try:
            sock = socket.socket(family, socket.SOCK_STREAM)
        except OSError as error:  # out of descriptors, for one: try again later
            engine.dial_failed(dialer, error.strerror or str(error))
            return
        try:
            sock.setblocking(False)
            tune(sock, options, endpoint.over_tcp)
            code = sock.connect_ex(address)
        except OSError as error:
            code = error.errno or errno.EINVAL
        if code == 0:
            engine.dialed(sock, dialer)
        elif code in (errno.EINPROGRESS, errno.EAGAIN, errno.EWOULDBLOCK):
            timer = None
            if options["CONNECT_TIMEOUT"] > 0:
                deadline = self.loop.time() + options["CONNECT_TIMEOUT"] / 1000
                timer = self.loop.call_at(deadline, partial(self._connect_timed_out, sock))
            self._connecting[sock] = (dialer, timer)
            self.loop.watch(sock, False, True, partial(self._connect_done, sock))
            engine.dialing(dialer, sock)
        else:
            engine.dial_failed(dialer, os.strerror(code), sock)
            sock.close()

    def _dial_udp(self, dialer: Dialer, endpoint: Endpoint) -> None:
        """A RADIO's udp:// endpoint: connecting a UDP socket is immediate."""
        try:
            sock = open_udp_sender(endpoint, self.engine.options)
        except (OSError, SocketError) as error:
            self.engine.dial_failed(dialer, getattr(error, "strerror", None) or str(error))
            return
        self.engine.dialed(sock, dialer)

    def _connect_done(self, sock: socket.socket, readable: bool, writable: bool) -> None:
        entry = self._connecting.pop(sock, None)
        if entry is None:
            return
        dialer, timer = entry
        if timer is not None:
            timer.cancel()
        code = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        if code:
            self.engine.dial_failed(dialer, os.strerror(code), sock)
            self.loop.release(sock)
        else:
            self.engine.dialed(sock, dialer)  # (its Watch replaces the write interest)
        self.service()

    def _connect_timed_out(self, sock: socket.socket) -> None:
        entry = self._connecting.pop(sock, None)
        if entry is not None:
            self.engine.dial_failed(entry[0], "connect timed out (CONNECT_TIMEOUT)", sock)
            self.loop.release(sock)
            self.service()

    def _abandon_dials(self) -> None:
        """Give up the dials in progress whose dialer the engine closed."""
        for sock, (dialer, timer) in list(self._connecting.items()):
            if dialer.closed:
                del self._connecting[sock]
                if timer is not None:
                    timer.cancel()
                self.loop.release(sock)
