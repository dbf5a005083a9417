"""bind() and connect(): listeners, connecters that retry, and inproc links.

A :class:`Listener` accepts connections and gives each a :class:`Stream`; the
pipe of an accepted peer is attached when its handshake completes, as in
libzmq. A :class:`Connecter` attaches its pipe at connect() time (unless
IMMEDIATE), so messages queue before the peer exists, and keeps it across
reconnects, retrying with RECONNECT_IVL doubling up to RECONNECT_IVL_MAX.
An :class:`InprocLink` joins two sockets of one Context by their pipes:
messages move by reference, never encoded.
"""

from __future__ import annotations

import contextlib
import errno
import os
import random
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from zmtp_core import (
    Endpoint,
    Options,
    Pipe,
    RemoteProtocolError,
    SocketBase,
    SocketError,
    SocketType,
)
from zmtp_core import SubscriptionCommand as _Command
from zmtp_core._pipe import OutgoingMessage

from ._reactor import Reactor, Timer
from ._stream import READ, WRITE, Stream

if TYPE_CHECKING:
    from ._socket import Socket

__all__ = ["Connecter", "InprocLink", "Listener"]


class Owner:
    """What a listener or connecter needs from its zmtp socket."""

    __slots__ = (
        "core",
        "lock",
        "paused",
        "reactor",
        "receiving_until",
        "sends_since_wait",
        "stream_closed",
        "streams",
    )

    def __init__(
        self,
        core: SocketBase,
        lock: threading.RLock,
        reactor: Reactor,
        streams: set[Stream],
        stream_closed: Callable[[], None],
    ) -> None:
        self.core = core
        self.lock = lock
        self.reactor = reactor
        self.streams = streams
        self.stream_closed = stream_closed
        #: Streams that stopped reading because their pipe is at RCVHWM.
        self.paused: set[Stream] = set()
        #: Until then the application reads inline: the background thread keeps out.
        self.receiving_until = 0.0
        #: Messages sent since the application last blocked: 2 or more is a burst,
        #: which batching gathers; a request/reply loop never batches.
        self.sends_since_wait = 0

    @property
    def options(self) -> Options:
        return self.core.options


# -- socket plumbing ------------------------------------------------------------


def _family(endpoint: Endpoint) -> socket.AddressFamily:
    if endpoint.transport == "ipc":
        return socket.AF_UNIX
    return socket.AF_INET6 if endpoint.is_ipv6_literal else socket.AF_INET


def _tune(sock: socket.socket, options: Options, tcp: bool) -> None:
    """Apply the socket options libzmq applies to a transport socket."""
    if options["SNDBUF"] >= 0:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, options["SNDBUF"])
    if options["RCVBUF"] >= 0:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, options["RCVBUF"])
    if not tcp:
        return
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    if options["TOS"]:
        level = socket.IPPROTO_IPV6 if sock.family == socket.AF_INET6 else socket.IPPROTO_IP
        name = socket.IPV6_TCLASS if sock.family == socket.AF_INET6 else socket.IP_TOS
        sock.setsockopt(level, name, options["TOS"])
    if options["TCP_KEEPALIVE"] == 1:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        for option, constant in (
            ("TCP_KEEPALIVE_CNT", "TCP_KEEPCNT"),
            ("TCP_KEEPALIVE_IDLE", "TCP_KEEPIDLE"),
            ("TCP_KEEPALIVE_INTVL", "TCP_KEEPINTVL"),
        ):
            if options[option] > 0 and hasattr(socket, constant):
                sock.setsockopt(socket.IPPROTO_TCP, getattr(socket, constant), options[option])
    if options["TCP_MAXRT"] > 0 and hasattr(socket, "TCP_USER_TIMEOUT"):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_USER_TIMEOUT, options["TCP_MAXRT"])


def _tcp_address(
    endpoint: Endpoint, options: Options, *, bind: bool
) -> tuple[socket.AddressFamily, tuple[str, int]]:
    ipv6 = bool(options["IPV6"])
    host = endpoint.host
    if host == "*":
        if not bind:
            raise SocketError(errno.EINVAL, "cannot connect to '*'")
        return (
            (socket.AF_INET6, ("::", endpoint.port))
            if ipv6
            else (socket.AF_INET, ("0.0.0.0", endpoint.port))
        )
    if endpoint.is_ipv6_literal and not ipv6:
        raise SocketError(errno.EINVAL, f"{host} is an IPv6 address: set the IPV6 option first")
    family = socket.AF_UNSPEC if ipv6 else socket.AF_INET
    try:
        infos = socket.getaddrinfo(host, endpoint.port, family, socket.SOCK_STREAM)
    except socket.gaierror as error:
        raise SocketError(errno.EINVAL, f"cannot resolve {host!r}: {error}") from None
    info_family, _, _, _, address = infos[0]
    return info_family, (str(address[0]), int(address[1]))


def _describe(sock: socket.socket, endpoint: Endpoint) -> str:
    """The endpoint as libzmq reports it in LAST_ENDPOINT."""
    if endpoint.transport == "ipc":
        name = sock.getsockname()
        path = name.decode() if isinstance(name, bytes) else str(name)
        return "ipc://" + ("@" + path[1:] if path.startswith("\0") else path)
    host, port = sock.getsockname()[:2]
    return f"tcp://[{host}]:{port}" if ":" in host else f"tcp://{host}:{port}"


def _unlink_if_stale(path: str) -> None:
    """Remove an ipc socket file nobody listens on any more; refuse a live one."""
    if path.startswith("\0") or not os.path.exists(path):
        return
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        probe.connect(path)
    except (ConnectionRefusedError, FileNotFoundError):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
        return
    except OSError:
        return
    finally:
        probe.close()
    raise SocketError(errno.EADDRINUSE, f"ipc path {path} is in use by a live socket")


# -- bind -----------------------------------------------------------------------


class Listener:
    """A bound endpoint: accepts peers, one Stream each."""

    def __init__(self, owner: Owner, endpoint: Endpoint) -> None:
        self.owner = owner
        self.endpoint = endpoint
        self.closed = False
        #: Set once the listening socket is really closed (the port or path is free).
        self.released = threading.Event()
        self.streams: set[Stream] = set()
        self._tempdir: str | None = None
        self._path: str | None = None
        options = owner.options
        if endpoint.transport == "ipc":
            path = endpoint.path
            if path == "*":
                self._tempdir = tempfile.mkdtemp(prefix="zmtp-")
                path = os.path.join(self._tempdir, "socket")
            _unlink_if_stale(path)
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self._path = None if path.startswith("\0") else path
            address: str | tuple[str, int] = path
        else:
            family, address = _tcp_address(endpoint, options, bind=True)
            sock = socket.socket(family, socket.SOCK_STREAM)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        try:
            sock.bind(address)
            sock.listen(options["BACKLOG"])
        except OSError as error:
            sock.close()
            self._cleanup_path()
            raise SocketError(
                error.errno or errno.EINVAL, f"cannot bind {address!r}: {error.strerror}"
            ) from None
        sock.setblocking(False)
        self.sock = sock
        self.last_endpoint = _describe(sock, endpoint)
        owner.reactor.register(sock, READ, self._on_acceptable)

    def _on_acceptable(self, mask: int) -> None:
        owner = self.owner
        with owner.lock:
            for _ in range(64):
                if self.closed:
                    return
                try:
                    sock, _ = self.sock.accept()
                except (BlockingIOError, InterruptedError):
                    return
                except OSError:
                    return  # out of descriptors or the like: try again when readable
                _tune(sock, owner.options, self.endpoint.transport == "tcp")
                stream = Stream(
                    owner,
                    sock,
                    pipe=None,
                    on_close=self._stream_closed,
                    on_ready=self._stream_ready,
                )
                if not stream.closed:
                    self.streams.add(stream)
                    owner.streams.add(stream)

    def _stream_ready(self, stream: Stream) -> None:
        stream.pipe = self.owner.core.attach_pipe(listener=stream)

    def _stream_closed(self, stream: Stream, reason: str) -> None:
        self.streams.discard(stream)
        self.owner.streams.discard(stream)
        if stream.pipe is not None:
            stream.pipe.detach()
        self.owner.stream_closed()

    def stop_accepting(self) -> None:
        if not self.closed:
            self.closed = True
            self.owner.reactor.unregister(self.sock)
            self.owner.reactor.call_in_loop(self._close_socket)
            self._cleanup_path()

    def _close_socket(self) -> None:
        self.sock.close()
        self.released.set()

    def close(self) -> None:
        """unbind(): no more peers, and the ones accepted here are dropped (as libzmq)."""
        self.stop_accepting()
        for stream in list(self.streams):
            stream.close("unbound")

    def _cleanup_path(self) -> None:
        if self._path is not None:
            with contextlib.suppress(OSError):
                os.unlink(self._path)
            self._path = None
        if self._tempdir is not None:
            shutil.rmtree(self._tempdir, ignore_errors=True)
            self._tempdir = None


# -- connect ---------------------------------------------------------------------


class Connecter:
    """A connected endpoint: one peer, reconnected for as long as the socket wants it."""

    def __init__(self, owner: Owner, endpoint: Endpoint, text: str) -> None:
        self.owner = owner
        self.endpoint = endpoint
        self.text = text
        options = owner.options
        self.immediate = bool(options["IMMEDIATE"])
        self._routing_id: bytes | None = options["CONNECT_ROUTING_ID"] or None
        self.pipe: Pipe | None = None
        if not self.immediate:
            self.pipe = owner.core.attach_pipe(
                listener=self, locally_initiated=True, routing_id=self._routing_id
            )
        self.stream: Stream | None = None
        self.closed = False
        self.lingering = False
        self._connecting: socket.socket | None = None
        self._timer: Timer | None = None
        self._interval = options["RECONNECT_IVL"]
        if endpoint.transport == "tcp":
            # Validate and resolve now: a bad address is the caller's error.
            _tcp_address(endpoint, options, bind=False)
        self._attempt()

    # PipeListener while no stream serves the pipe: output simply waits.
    def output_ready(self, pipe: Pipe) -> None:
        pass

    def close_requested(self, pipe: Pipe, reason: str) -> None:
        self.close()

    def _attempt(self) -> None:
        self._timer = None
        if self.closed:
            return
        endpoint, options = self.endpoint, self.owner.options
        try:
            if endpoint.transport == "ipc":
                family: socket.AddressFamily = socket.AF_UNIX
                address: str | tuple[str, int] = endpoint.path
            else:
                family, address = _tcp_address(endpoint, options, bind=False)
        except SocketError:
            self._retry()  # a name that does not resolve yet
            return
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setblocking(False)
        _tune(sock, options, endpoint.transport == "tcp")
        error = sock.connect_ex(address)
        if error == 0:
            self._connected(sock)
        elif error in (errno.EINPROGRESS, errno.EAGAIN, errno.EWOULDBLOCK):
            self._connecting = sock
            self.owner.reactor.register(sock, WRITE, self._on_connect_ready)
            if options["CONNECT_TIMEOUT"] > 0:
                deadline = time.monotonic() + options["CONNECT_TIMEOUT"] / 1000
                self._timer = self.owner.reactor.call_at(deadline, self._connect_timed_out)
        else:
            sock.close()
            self._retry()

    def _on_connect_ready(self, mask: int) -> None:
        with self.owner.lock:
            sock = self._connecting
            if sock is None or self.closed:
                return
            self._connecting = None
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            self.owner.reactor.unregister(sock)
            if sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR):
                self.owner.reactor.call_in_loop(sock.close)
                self._retry()
            else:
                self._connected(sock)

    def _connect_timed_out(self) -> None:
        with self.owner.lock:
            sock, self._connecting = self._connecting, None
            self._timer = None
            if sock is not None and not self.closed:
                self.owner.reactor.unregister(sock)
                self.owner.reactor.call_in_loop(sock.close)
                self._retry()

    def _connected(self, sock: socket.socket) -> None:
        owner = self.owner
        self.stream = Stream(
            owner,
            sock,
            pipe=self.pipe,
            on_close=self._stream_closed,
            on_ready=self._stream_ready,
        )
        if not self.stream.closed:
            owner.streams.add(self.stream)
            if self.lingering:
                self.stream.linger()

    def _stream_ready(self, stream: Stream) -> None:
        self._interval = self.owner.options["RECONNECT_IVL"]  # success resets the backoff
        if self.pipe is None:  # IMMEDIATE: the pipe exists only while connected
            self.pipe = self.owner.core.attach_pipe(
                listener=stream, locally_initiated=True, routing_id=self._routing_id
            )
            stream.pipe = self.pipe

    def _stream_closed(self, stream: Stream, reason: str) -> None:
        self.stream = None
        self.owner.streams.discard(stream)
        if self.pipe is not None:
            if self.immediate or self.lingering:
                self.pipe.detach()
                self.pipe = None
            else:
                self.pipe.listener = self
                self.pipe.disconnected()
        if self.lingering:
            self.closed = True
        else:
            self._retry()
        self.owner.stream_closed()

    def _retry(self) -> None:
        if self.closed:
            return
        base = self.owner.options["RECONNECT_IVL"]
        if base < 0:  # -1: never reconnect
            self.close()
            return
        delay = self._interval + (random.randrange(base) if base > 0 else 0)
        maximum = self.owner.options["RECONNECT_IVL_MAX"]
        if maximum > base:
            self._interval = min(self._interval * 2, maximum)
        self._timer = self.owner.reactor.call_at(
            time.monotonic() + delay / 1000, self._attempt_locked
        )

    def _attempt_locked(self) -> None:
        with self.owner.lock:
            self._attempt()

    @property
    def drained(self) -> bool:
        return self.pipe is None or not self.pipe.outbound

    def linger(self) -> None:
        """The socket closes: deliver what is queued (connecting if need be), then stop."""
        self.lingering = True
        if self.stream is not None:
            self.stream.linger()
        elif self.drained:
            self.close()

    def close(self) -> None:
        """disconnect(), or the end of the socket: drop everything now."""
        if self.closed and self.stream is None and self.pipe is None:
            return
        self.closed = True
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._connecting is not None:
            self.owner.reactor.unregister(self._connecting)
            self.owner.reactor.call_in_loop(self._connecting.close)
            self._connecting = None
        stream, self.stream = self.stream, None
        if stream is not None:
            stream.close("disconnected")
        if self.pipe is not None:
            self.pipe.detach()
            self.pipe = None


# -- inproc ------------------------------------------------------------------------

_PUBLISHERS = (SocketType.PUB, SocketType.XPUB)


class InprocLink:
    """Two sockets of one Context joined back to back; frames move by reference.

    Moving never holds both sockets' locks at once (so two threads sending to
    each other cannot deadlock): take room under the receiver's lock, messages
    under the sender's, deliver under the receiver's again.
    """

    def __init__(self, connecting: Socket, schedule: Callable[[InprocLink], None]) -> None:
        self._schedule = schedule
        self._move_lock = threading.Lock()
        self.closed = False
        self._closing = False
        self.a = connecting
        self.b: Socket | None = None
        with connecting._lock:
            self.pipe_a = connecting._core.attach_pipe(listener=self, locally_initiated=True)
        connecting._links.append(self)
        self.pipe_b: Pipe | None = None

    def reading(self) -> None:
        """One end read a message: room may have opened for what the other end queued."""
        if self.pipe_b is not None and (self.pipe_a.outbound or self.pipe_b.outbound):
            self._schedule(self)

    def complete(self, bound: Socket) -> None:
        """The name is bound: attach the other end and let queued messages through."""
        self.b = bound
        bound._links.append(self)
        with bound._lock:
            self.pipe_b = bound._core.attach_pipe(listener=self)
            self.pipe_b.connected(self.a._core.options["ROUTING_ID"], self.a._core.socket_type.name)
        with self.a._lock:
            self.pipe_a.connected(bound._core.options["ROUTING_ID"], bound._core.socket_type.name)
        self._schedule(self)

    def output_ready(self, pipe: Pipe) -> None:
        self._schedule(self)

    def close_requested(self, pipe: Pipe, reason: str) -> None:
        self._closing = True  # closed by the next transfer, outside any socket lock
        self._schedule(self)

    def transfer(self) -> None:
        """Move whatever can move, both ways (called with no socket lock held)."""
        if self._closing:
            self.close()
            return
        if self.b is None or self.pipe_b is None:
            return
        with self._move_lock:
            while self._move(self.a, self.pipe_a, self.b, self.pipe_b) | self._move(
                self.b, self.pipe_b, self.a, self.pipe_a
            ):
                pass

    @staticmethod
    def _move(src: Socket, src_pipe: Pipe, dst: Socket, dst_pipe: Pipe) -> bool:
        with dst._lock:
            hwm = dst_pipe._rcvhwm
            room = hwm - len(dst_pipe.inbound) if hwm and not dst_pipe.conflate else 1 << 30
        if room <= 0:
            return False
        with src._lock:
            items: list[OutgoingMessage | _Command] = []
            while len(items) < room and (item := src_pipe.pop_outbound()) is not None:
                items.append(item)
        if not items:
            return False
        publisher = dst._core.socket_type in _PUBLISHERS
        with dst._lock:
            for item in items:
                if isinstance(item, _Command):
                    dst_pipe.deliver_subscription(item.subscribe, item.topic)
                    continue
                frames, tracker = item
                if tracker is not None:
                    tracker.release()
                if publisher and len(frames) == 1 and bytes(frames[0][:1]) in (b"\x00", b"\x01"):
                    dst_pipe.deliver_subscription(
                        bytes(frames[0][:1]) == b"\x01", bytes(frames[0][1:])
                    )
                    continue
                try:
                    dst_pipe.deliver(list(frames))  # type: ignore[arg-type]  # any buffer, by reference
                except RemoteProtocolError:
                    dst_pipe.request_close("malformed message")  # as a REQ drops a bad peer
                    break
        dst._reactor.notify()
        return True

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        for sock, pipe in ((self.a, self.pipe_a), (self.b, self.pipe_b)):
            if sock is not None and pipe is not None:
                with sock._lock:
                    pipe.detach()
                if self in sock._links:
                    sock._links.remove(self)
