"""bind() and connect() over raw sockets: listeners, and connecters that retry.

A :class:`Listener` accepts connections and gives each a :class:`Stream`; the
pipe of an accepted peer is attached when its handshake completes, as in
libzmq. A :class:`Connecter` attaches its pipe at connect() time (unless
IMMEDIATE), so messages queue before the peer exists, and keeps it across
reconnects, retrying after RECONNECT_IVL (plus up to one interval of jitter)
doubling up to RECONNECT_IVL_MAX, as libzmq does.
"""

from __future__ import annotations

import errno
import logging
import random
import socket

from zmtp_core import Endpoint, Pipe, SocketError, layering

from ._loop import Handle, Owner
from ._sockets import open_listener, tcp_address, tune
from ._stream import Stream

__all__ = ["Connecter", "Listener"]

log = logging.getLogger("zmtp")


class _FailureLog:
    """Says why connections fail before their handshake (a refused TLS certificate,
    a peer of the wrong type...), once per reason in a row: a reconnect loop must
    not flood the log."""

    __slots__ = ("endpoint", "last")

    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint
        self.last: str | None = None

    def stream_closed(self, stream: Stream) -> None:
        if stream.ready:
            self.last = None
        elif stream.failure is not None and stream.failure != self.last:
            self.last = stream.failure
            log.warning("%s: connection failed before its handshake: %s", self.endpoint, self.last)


class Listener:
    """A bound endpoint: accepts peers, one Stream each."""

    def __init__(self, owner: Owner, endpoint: Endpoint) -> None:
        self.owner = owner
        self.endpoint = endpoint
        self.closed = False
        self.streams: set[Stream] = set()
        self._layering = layering(endpoint, owner.core.options, server_side=True)
        self._bound = open_listener(endpoint, owner.core.options)
        self.sock = self._bound.sock
        self.last_endpoint = self._bound.last_endpoint
        self._failures = _FailureLog(self.last_endpoint)
        try:
            owner.loop.watch(self.sock, True, False, self._on_acceptable)
        except BaseException:
            self.sock.close()
            self._bound.cleanup()
            raise

    def _on_acceptable(self, readable: bool, writable: bool) -> None:
        owner = self.owner
        for _ in range(64):
            if self.closed:
                return
            try:
                sock, _ = self.sock.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                return  # out of descriptors or the like: try again when readable
            tune(sock, owner.core.options, self.endpoint.over_tcp)
            stream = Stream(
                owner,
                sock,
                pipe=None,
                on_close=self._stream_closed,
                on_ready=self._stream_ready,
                layering=self._layering,
            )
            if not stream.closed:
                self.streams.add(stream)

    def _stream_ready(self, stream: Stream) -> None:
        stream.pipe = self.owner.core.attach_pipe(listener=stream)

    def _stream_closed(self, stream: Stream, reason: str) -> None:
        self._failures.stream_closed(stream)
        self.streams.discard(stream)
        if stream.pipe is not None:
            stream.pipe.detach()
        self.owner.stream_closed()

    def stop_accepting(self) -> None:
        """No more peers; the socket (and its port or path) is released."""
        if not self.closed:
            self.closed = True
            self.owner.loop.release(self.sock)
            self._bound.cleanup()

    def close(self) -> None:
        """unbind(): no more peers, and the ones accepted here are dropped (as libzmq)."""
        self.stop_accepting()
        for stream in list(self.streams):
            stream.close("unbound")


class Connecter:
    """A connected endpoint: one peer, reconnected for as long as the socket wants it."""

    def __init__(self, owner: Owner, endpoint: Endpoint, text: str) -> None:
        self.owner = owner
        self.endpoint = endpoint
        self.text = text
        options = owner.core.options
        # The caller's errors (a bad address, unusable TLS files) come first, before a pipe.
        if endpoint.over_tcp:
            tcp_address(endpoint, options, bind=False)
        self._layering = layering(endpoint, options, server_side=False)
        self._failures = _FailureLog(text)
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
        self._timer: Handle | None = None
        self._interval = options["RECONNECT_IVL"]
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
        endpoint, options = self.endpoint, self.owner.core.options
        try:
            if endpoint.transport == "ipc":
                family: socket.AddressFamily = socket.AF_UNIX
                address: str | tuple[str, int] = endpoint.path
            else:
                family, address = tcp_address(endpoint, options, bind=False)
        except SocketError:
            self._retry()  # a name that does not resolve yet
            return
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setblocking(False)
        tune(sock, options, endpoint.over_tcp)
        error = sock.connect_ex(address)
        if error == 0:
            self._connected(sock)
        elif error in (errno.EINPROGRESS, errno.EAGAIN, errno.EWOULDBLOCK):
            self._connecting = sock
            self.owner.loop.watch(sock, False, True, self._on_connect_ready)
            if options["CONNECT_TIMEOUT"] > 0:
                deadline = self.owner.loop.time() + options["CONNECT_TIMEOUT"] / 1000
                self._timer = self.owner.loop.call_at(deadline, self._connect_timed_out)
        else:
            sock.close()
            self._retry()

    def _on_connect_ready(self, readable: bool, writable: bool) -> None:
        sock = self._connecting
        if sock is None or self.closed:
            return
        self._connecting = None
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR):
            self.owner.loop.release(sock)
            self._retry()
        else:
            self.owner.loop.watch(sock, False, False, self._on_connect_ready)
            self._connected(sock)

    def _connect_timed_out(self) -> None:
        sock, self._connecting = self._connecting, None
        self._timer = None
        if sock is not None and not self.closed:
            self.owner.loop.release(sock)
            self._retry()

    def _connected(self, sock: socket.socket) -> None:
        self.stream = Stream(
            self.owner,
            sock,
            pipe=self.pipe,
            on_close=self._stream_closed,
            on_ready=self._stream_ready,
            layering=self._layering,
        )
        if not self.stream.closed and self.lingering:
            self.stream.linger()

    def _stream_ready(self, stream: Stream) -> None:
        self._interval = self.owner.core.options["RECONNECT_IVL"]  # success resets the backoff
        if self.pipe is None:  # IMMEDIATE: the pipe exists only while connected
            self.pipe = self.owner.core.attach_pipe(
                listener=stream, locally_initiated=True, routing_id=self._routing_id
            )
            stream.pipe = self.pipe

    def _stream_closed(self, stream: Stream, reason: str) -> None:
        self._failures.stream_closed(stream)
        self.stream = None
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
        options = self.owner.core.options
        base = options["RECONNECT_IVL"]
        if base < 0:  # -1: never reconnect
            self.close()
            return
        delay = self._interval + (random.randrange(base) if base > 0 else 0)
        maximum = options["RECONNECT_IVL_MAX"]
        if maximum > base:
            self._interval = min(self._interval * 2, maximum)
        self._timer = self.owner.loop.call_at(self.owner.loop.time() + delay / 1000, self._attempt)

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
            self.owner.loop.release(self._connecting)
            self._connecting = None
        stream, self.stream = self.stream, None
        if stream is not None:
            stream.close("disconnected")
        if self.pipe is not None:
            self.pipe.detach()
            self.pipe = None
