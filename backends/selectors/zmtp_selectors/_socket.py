"""The Socket: pyzmq's blocking API over a core socket, streams and the reactor."""

from __future__ import annotations

import contextlib
import errno
import json
import pickle
import random
import threading
import time
import warnings
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from zmtp_core import (
    Again,
    Buffer,
    SocketError,
    SocketType,
    create_socket,
    parse_endpoint,
)
from zmtp_core._options import lookup
from zmtp_transport import Connecter, InprocEnd, InprocLink, Listener, Owner

from ._adapters import APP_READ_WINDOW, INLINE_READ_STREAMS, SocketLoop, WindowBatcher
from ._constants import NOBLOCK, POLLIN, POLLOUT, SNDMORE
from ._errors import ContextTerminated, ZMQBindError
from ._frame import Frame, MessageTracker

if TYPE_CHECKING:
    from ._context import Context

__all__ = ["Socket"]

Endpoints = Listener | Connecter | InprocLink


class _EndpointContext:
    """What bind()/connect() return: ``with sock.bind(url):`` unbinds at the end."""

    def __init__(self, socket: Socket, kind: str, endpoint: str) -> None:
        self.socket, self.kind, self.endpoint = socket, kind, endpoint

    def __enter__(self) -> _EndpointContext:
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self.socket.closed:
            return
        if self.kind == "bind":
            self.socket.unbind(self.endpoint)
        else:
            self.socket.disconnect(self.endpoint)

    def __repr__(self) -> str:
        return f"<{self.kind} {self.endpoint}>"


class Socket:
    """A ZeroMQ socket, used as pyzmq's ``zmq.Socket`` (not thread-safe, like pyzmq's)."""

    def __init__(self, context: Context, socket_type: SocketType | int) -> None:
        self.context = context
        self._core = create_socket(socket_type)
        self._lock = threading.RLock()
        self._reactor = context._reactor
        self._loop = SocketLoop(self._reactor, self._lock)
        self._batcher = WindowBatcher(self._reactor, self._lock)
        self._owner = Owner(self._core, self._loop, self._batcher, self._check_linger)
        self._streams = self._owner.streams
        self._loop.streams = self._streams
        self._inproc = InprocEnd(self._core, self._lock, self._reactor.notify)
        self._endpoints: dict[str, list[Endpoints]] = {}
        self._closed = False
        self._lingering = False
        self._linger_timer: Any = None
        self._outgoing: list[Buffer] = []  # frames of a message sent with SNDMORE so far
        self._incoming: list[Any] = []  # the rest of a message read frame by frame
        self._closing_endpoints: list[Endpoints] = []

    # -- options ------------------------------------------------------------

    def setsockopt(self, option: int | str, value: Any) -> None:
        with self._lock:
            self._check_open()
            self._core.setsockopt(option, value)
        self._after_call()  # a SUBSCRIBE may be bound for an inproc publisher

    def getsockopt(self, option: int | str) -> Any:
        spec = lookup(option)
        with self._lock:
            self._check_open()
            if spec.name == "RCVMORE":
                return int(bool(self._incoming))
            if spec.name == "EVENTS":
                return self._events()
            if spec.name == "FD":
                raise SocketError(errno.EINVAL, "FD is not available: use zmtp_selectors.Poller")
            return self._core.getsockopt(option)

    set = setsockopt
    get = getsockopt

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        try:
            lookup(name)
        except SocketError:
            raise AttributeError(f"{type(self).__name__!r} has no attribute {name!r}") from None
        return self.getsockopt(name)

    def __setattr__(self, name: str, value: Any) -> None:
        if not name.startswith("_") and name not in ("context",):
            try:
                lookup(name)
            except SocketError:
                pass
            else:
                self.setsockopt(name, value)
                return
        object.__setattr__(self, name, value)

    @property
    def hwm(self) -> int:
        return int(self.getsockopt("SNDHWM"))

    @hwm.setter
    def hwm(self, value: int) -> None:
        self.setsockopt("SNDHWM", value)
        self.setsockopt("RCVHWM", value)

    @property
    def type(self) -> SocketType:
        return self._core.socket_type

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def rcvmore(self) -> bool:
        return bool(self._incoming)

    def subscribe(self, topic: str | bytes) -> None:
        self.setsockopt("SUBSCRIBE", topic)

    def unsubscribe(self, topic: str | bytes) -> None:
        self.setsockopt("UNSUBSCRIBE", topic)

    # -- endpoints ----------------------------------------------------------

    def bind(self, addr: str) -> _EndpointContext:
        """Bind; ``tcp://host:*`` and ``ipc://*`` pick a free port or path (see last_endpoint)."""
        endpoint = parse_endpoint(addr)
        with self._lock:
            self._check_open()
            if endpoint.transport == "inproc":
                self.context._inproc.bind(endpoint.path, self._inproc)
                bound: Endpoints | None = None
                last = addr
            else:
                bound = Listener(self._owner, endpoint)
                last = bound.last_endpoint
            self._core.options.set_by_backend("LAST_ENDPOINT", last.encode())
        if bound is not None:
            for name in {addr, last}:
                self._endpoints.setdefault(name, []).append(bound)
        self._after_call()  # inproc peers that connected first may have messages waiting
        return _EndpointContext(self, "bind", last)

    def bind_to_random_port(
        self, addr: str, min_port: int = 49152, max_port: int = 65536, max_tries: int = 100
    ) -> int:
        """pyzmq's helper: bind to a free port and return it."""
        if min_port == 49152 and max_port == 65536:
            self.bind(f"{addr}:*")
            return int(self.last_endpoint.decode().rpartition(":")[2])
        candidates = random.sample(range(min_port, max_port), min(max_tries, max_port - min_port))
        for port in candidates:
            try:
                self.bind(f"{addr}:{port}")
            except SocketError as error:
                if error.errno != errno.EADDRINUSE:
                    raise
            else:
                return port
        raise ZMQBindError("could not bind socket to random port")

    def connect(self, addr: str) -> _EndpointContext:
        """Connect; the peer may come later (messages wait in the pipe, IMMEDIATE=0)."""
        endpoint = parse_endpoint(addr)
        with self._lock:
            self._check_open()
            if endpoint.transport == "inproc":
                link: Endpoints = self.context._inproc.connect(endpoint.path, self._inproc)
            else:
                link = Connecter(self._owner, endpoint, addr)
            self._endpoints.setdefault(addr, []).append(link)
            self._core.options.set_by_backend("LAST_ENDPOINT", addr.encode())
        self._after_call()
        return _EndpointContext(self, "connect", addr)

    def unbind(self, addr: str) -> None:
        """Stop listening; when this returns the port (or path) can be bound again."""
        listening = [
            e.sock for e in self._forget(addr, Listener, "bound") if isinstance(e, Listener)
        ]
        self._reactor.wait_until(
            lambda: all(sock.fileno() == -1 for sock in listening), time.monotonic() + 5
        )

    def disconnect(self, addr: str) -> None:
        self._forget(addr, (Connecter, InprocLink), "connected")

    def _forget(self, addr: str, kinds: Any, what: str) -> list[Endpoints]:
        with self._lock:
            self._check_open()
            if addr.startswith("inproc://") and kinds is Listener:
                self.context._inproc.unbind(parse_endpoint(addr).path, self._inproc)
                return []
            found = [e for e in self._endpoints.get(addr, ()) if isinstance(e, kinds)]
            if not found:
                raise SocketError(errno.ENOENT, f"{addr} is not {what}")
            for endpoint in found:
                for name, items in list(self._endpoints.items()):
                    if endpoint in items:
                        items.remove(endpoint)
                        if not items:
                            del self._endpoints[name]
                if not isinstance(endpoint, InprocLink):
                    endpoint.close()
        for endpoint in found:
            if isinstance(endpoint, InprocLink):
                endpoint.close()
        return found

    # -- sending ------------------------------------------------------------------

    def send(
        self, data: Any, flags: int = 0, copy: bool = True, track: bool = False, **_: Any
    ) -> MessageTracker | None:
        """Send one frame; with SNDMORE it waits for the rest of its message."""
        frame = data if type(data) is bytes else self._frame_buffer(data, copy)
        outgoing = self._outgoing
        if flags & SNDMORE:
            with self._lock:
                self._check_open()
                if not outgoing and not self._core.writable and flags & NOBLOCK:
                    raise Again()
                outgoing.append(frame)
            return None
        if not outgoing:
            return self._send_frames([frame], flags, track)
        frames = [*outgoing, frame]
        outgoing.clear()
        try:
            return self._send_frames(frames, flags, track)
        except Again:
            outgoing.extend(frames[:-1])  # retrying the last frame completes the message
            raise

    def send_multipart(
        self,
        msg_parts: Sequence[Any],
        flags: int = 0,
        copy: bool = True,
        track: bool = False,
        **_: Any,
    ) -> MessageTracker | None:
        """Send a whole message: every frame or none."""
        frames = [self._frame_buffer(part, copy) for part in msg_parts]
        return self._send_frames(frames, flags, track)

    def send_string(
        self, u: str, flags: int = 0, copy: bool = True, encoding: str = "utf-8", **kw: Any
    ) -> MessageTracker | None:
        if not isinstance(u, str):
            raise TypeError("send_string takes a str")
        return self.send(u.encode(encoding), flags, copy, **kw)

    def send_json(self, obj: Any, flags: int = 0, **kwargs: Any) -> MessageTracker | None:
        return self.send(json.dumps(obj).encode("utf-8"), flags, **kwargs)

    def send_pyobj(
        self, obj: Any, flags: int = 0, protocol: int = pickle.DEFAULT_PROTOCOL, **kwargs: Any
    ) -> MessageTracker | None:
        return self.send(pickle.dumps(obj, protocol), flags, **kwargs)

    send_unicode = send_string

    @staticmethod
    def _frame_buffer(data: Any, copy: bool) -> Buffer:
        if isinstance(data, bytes):
            return data  # immutable: never needs a copy
        if isinstance(data, Frame):
            data = data.buffer
        if isinstance(data, str):
            raise TypeError("unicode not allowed, use send_string")
        try:
            view = memoryview(data)
        except TypeError:
            raise TypeError(f"a frame must be bytes-like, not {type(data).__name__}") from None
        # A mutable buffer sent with copy=True must not change under us.
        return view.tobytes() if copy else data

    def _send_frames(self, frames: list[Buffer], flags: int, track: bool) -> MessageTracker | None:
        tracker = MessageTracker(self._reactor) if track else None
        self._batcher.sends_since_wait += 1
        while True:
            with self._lock:
                self._check_open()
                try:
                    self._core.send(frames, tracker)
                    break
                except Again:
                    timeout = 0 if flags & NOBLOCK else self._core.options["SNDTIMEO"]
                    if timeout == 0:
                        raise
            if not self._wait(self._writable, timeout):
                raise Again("sending timed out (SNDTIMEO)")
        if self.context._inproc.pending:
            self.context._run_transfers()
        return tracker

    # -- receiving --------------------------------------------------------------------

    def recv(self, flags: int = 0, copy: bool = True, track: bool = False) -> Any:
        """The next frame (of the current message, or of the next one)."""
        incoming = self._incoming
        if not incoming:
            incoming.extend(self._recv_message(flags))
        frame = incoming.pop(0)
        if copy:
            return frame if type(frame) is bytes else bytes(frame)
        return Frame(frame, bool(incoming))

    def recv_multipart(self, flags: int = 0, copy: bool = True, track: bool = False) -> list[Any]:
        """The next whole message (or the rest of one read with recv())."""
        if self._incoming:
            frames = self._incoming[:]
            self._incoming.clear()
        else:
            frames = self._recv_message(flags)
        if copy:
            return [frame if type(frame) is bytes else bytes(frame) for frame in frames]
        last = len(frames) - 1
        return [Frame(frame, index < last) for index, frame in enumerate(frames)]

    def recv_string(self, flags: int = 0, encoding: str = "utf-8") -> str:
        return bytes(self.recv(flags)).decode(encoding)

    def recv_json(self, flags: int = 0, **kwargs: Any) -> Any:
        return json.loads(self.recv(flags), **kwargs)

    def recv_pyobj(self, flags: int = 0) -> Any:
        return pickle.loads(self.recv(flags))

    recv_unicode = recv_string

    def _recv_message(self, flags: int) -> list[Any]:
        """The next message from the core, waiting as NOBLOCK and RCVTIMEO allow."""
        owner = self._owner
        while True:
            with self._lock:
                self._check_open()
                self._loop.receiving_until = time.monotonic() + APP_READ_WINDOW
                frames = self._core.try_recv()
                if frames is None:
                    timeout = 0 if flags & NOBLOCK else self._core.options["RCVTIMEO"]
                    if timeout == 0:
                        if self._read_inline():  # what the kernel already holds
                            continue
                        raise Again("no message is waiting")
                    # Blocking: lead the reactor at once; its select() returns at once
                    # if bytes are there, and no recv_into is wasted if they are not.
                else:
                    if owner.paused:
                        self._resume_streams()
                    if self._inproc.links:
                        for link in self._inproc.links:
                            link.reading()
                    break
            if not self._wait(self._readable, timeout):
                raise Again("receiving timed out (RCVTIMEO)")
        if self.context._inproc.pending:
            self.context._run_transfers()
        return frames

    def _readable(self) -> bool:
        return self._core.readable

    def _writable(self) -> bool:
        return self._core.writable

    def _read_inline(self) -> bool:
        """Read the kernel ourselves (few peers only); True if a message is now ready."""
        streams = self._streams
        if not streams or len(streams) > INLINE_READ_STREAMS:
            return False
        for stream in list(streams):
            if stream.ready and not stream.paused and not stream.closed:
                stream.read()
        return self._core.readable

    def _resume_streams(self) -> None:
        for stream in list(self._owner.paused):
            stream.resume()

    # -- waiting ------------------------------------------------------------------

    def _wait(self, condition: Callable[[], bool], timeout_ms: int) -> bool:
        """Run the reactor until ``condition`` holds (checked under the lock) or time is up."""
        deadline = None if timeout_ms < 0 else time.monotonic() + timeout_ms / 1000
        self._batcher.sends_since_wait = 0
        with self._lock:
            self._batcher.flush_all()  # never sleep on a held batch
            self._loop.reclaim_reads()  # we are about to lead: select on our streams

        def ready() -> bool:
            if self.context._terminated or self._closed:
                return True
            with self._lock:
                return condition()

        satisfied = self._reactor.wait_until(ready, deadline)
        self._check_open()
        return satisfied

    def _check_open(self) -> None:
        if self._closed:
            raise SocketError(errno.ENOTSOCK, "the socket is closed")
        if self.context._terminated:
            raise ContextTerminated()

    def _after_call(self) -> None:
        """Work that must happen outside the lock: inproc deliveries."""
        if self.context._inproc.pending:
            self.context._run_transfers()

    def poll(self, timeout: int | None = None, flags: int = POLLIN) -> int:
        """pyzmq's poll: the events among ``flags`` that are ready, waiting up to ``timeout`` ms."""
        with self._lock:
            self._check_open()
            if self._events() & flags:
                return self._events() & flags
            self._read_inline()
        wait_ms = -1 if timeout is None or timeout < 0 else int(timeout)
        self._wait(lambda: bool(self._events() & flags), wait_ms)
        with self._lock:
            return self._events() & flags

    def _events(self) -> int:
        events = 0
        if self._incoming or self._core.readable:
            events |= POLLIN
        if self._core.writable:
            events |= POLLOUT
        return events

    # -- the end ------------------------------------------------------------------

    def close(self, linger: int | None = None) -> None:
        """Close; with LINGER != 0 queued messages keep flowing in the background."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            if linger is not None:
                self._core.options.set("LINGER", linger)
            linger_ms = self._core.options["LINGER"]
            unique = {id(e): e for items in self._endpoints.values() for e in items}
            endpoints = self._closing_endpoints = list(unique.values())
            self._endpoints.clear()
            links = [e for e in endpoints if isinstance(e, InprocLink)]
            for endpoint in endpoints:
                if isinstance(endpoint, Listener):
                    endpoint.stop_accepting()
            if linger_ms == 0:
                self._finish()
            else:
                self._lingering = True
                self.context._lingering.add(self)
                for stream in list(self._streams):
                    stream.linger()
                for endpoint in endpoints:
                    if isinstance(endpoint, Connecter):
                        endpoint.linger()
                if linger_ms > 0:
                    self._linger_timer = self._reactor.call_at(
                        time.monotonic() + linger_ms / 1000, self._linger_expired
                    )
                self._check_linger()
        for link in links:
            link.close()
        self.context._socket_closed(self)

    def _check_linger(self) -> None:
        """A stream closed: if we linger and all is sent, finish."""
        if self._lingering and not self._streams and not any(p.outbound for p in self._core.pipes):
            self._finish()

    def _linger_expired(self) -> None:
        with self._lock:
            if self._lingering:
                self._finish()

    def _finish(self) -> None:
        """Drop everything that is left (called with the lock held)."""
        self._lingering = False
        if self._linger_timer is not None:
            self._linger_timer.cancel()
        for endpoint in self._closing_endpoints:
            if not isinstance(endpoint, InprocLink):
                endpoint.close()  # connecters first: they must not reconnect
        for stream in list(self._streams):
            stream.close("socket closed")
        self._core.close()  # detaches the pipes: connecters see it through their streams
        self.context._lingering.discard(self)
        self._reactor.notify()

    def __enter__(self) -> Socket:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __del__(self) -> None:
        if not getattr(self, "_closed", True):
            warnings.warn(f"unclosed socket {self!r}", ResourceWarning, stacklevel=1)
            with contextlib.suppress(Exception):  # best effort, possibly at interpreter exit
                self.close(linger=0)

    def __repr__(self) -> str:
        state = "closed" if self._closed else "open"
        return f"<zmtp_selectors.Socket({self._core.socket_type.name}) {state}>"
