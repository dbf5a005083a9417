"""The Socket: pyzmq's blocking API; waiting means leading the reactor (see the package)."""

from __future__ import annotations

import contextlib
import functools
import json
import pickle
import select
import threading
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, cast

from zmtp_core import Again, Buffer, SocketType
from zmtp_transport import SocketAPI, constants

from ._adapters import INLINE_READ_STREAMS, SocketLoop, WindowBatcher
from ._frame import MessageTracker

if TYPE_CHECKING:
    from ._context import Context

__all__ = ["Socket"]

#: Flags as plain ints: an IntFlag in ``flags & NOBLOCK`` builds an enum each time.
NOBLOCK, POLLIN, SNDMORE = int(constants.NOBLOCK), int(constants.POLLIN), int(constants.SNDMORE)
FD, EVENTS = int(constants.FD), int(constants.EVENTS)


class _Unbatched:
    """What a view of another backend's socket has in place of the write window and
    the read suppression of ours (the original's backend batches and reads)."""

    sends_since_wait = app_reads = messages = suppressed = 0

    def flush_now(self) -> None:
        pass

    def reclaim_reads(self) -> None:
        pass


class _Parking:
    """Where a thread waits on a socket whose only peers are inproc: on a lock of
    its own, which a delivery (or a close, or term()) releases. No poll, no wake-up
    pipe, no hand-over of the reactor: the reactor is not what brings the news."""

    __slots__ = ("_lock", "parked")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._lock.acquire()  # (held: a sleep waits until a wake releases it)
        #: Threads parked here, counted before they first look at what they wait for.
        self.parked = 0

    def sleep(self, timeout: float | None) -> None:
        """Until a wake (one that came since the last sleep returns at once)."""
        self._lock.acquire(timeout=-1 if timeout is None else max(timeout, 0))

    def wake(self) -> None:
        if self.parked:
            with contextlib.suppress(RuntimeError):  # (released already: nothing lost)
                self._lock.release()


class Socket(SocketAPI):
    """A ZeroMQ socket, used as pyzmq's ``zmq.Socket`` (not thread-safe, like pyzmq's)."""

    #: A thread waiting on inproc peers alone parks on the socket's own lock.
    _parks: ClassVar[bool] = True

    def _open(self, context: Context, socket_type: SocketType | int) -> None:
        lock = threading.RLock()
        reactor = context._reactor
        loop = SocketLoop(reactor, lock)
        self._parking = parking = _Parking()

        def wake() -> None:  # (a close, term(): whatever waits looks again)
            parking.wake()
            reactor.notify()

        def delivered() -> None:  # (called only while someone waits on this socket)
            parking.wake()
            if inproc.waiting > parking.parked:  # someone waits by the reactor too
                reactor.notify()

        self._setup(
            context,
            socket_type,
            lock=lock,
            loop=loop,
            batcher=lambda driver: WindowBatcher(driver, reactor, lock),
            wake=wake,
        )
        inproc = self._inproc
        inproc.wake = delivered
        self._reactor = reactor
        self._socket_loop = loop

        self._window = cast(WindowBatcher, self._batcher)
        # The pattern's readable property as one call (what a blocked recv looks at).
        pattern = self._engine.pattern
        readable = cast(property, type(pattern).readable).fget
        assert readable is not None
        self._readable_check = functools.partial(readable, pattern)
        loop.streams = self._driver.reading

    def _adopt(self, original: SocketAPI) -> None:
        """This blocking view shows an async backend's socket (jupyter_client does
        that, on the event loop's thread): its calls go to the original, and when
        one must wait, it reads the original's connections itself (the loop that
        would read them is the caller's, and is not running meanwhile)."""
        state = self.__dict__
        state["_window"] = state["_socket_loop"] = _Unbatched()
        state["_readable_check"] = lambda: original._engine.readable
        state["_wait"] = self._wait_reading

    def _wait_reading(self, condition: Callable[[], bool], timeout_ms: int) -> bool:
        """``_wait`` of a view of an async socket: select() on its connections and its
        FD (inproc deliveries), reading what arrives, until ``condition``."""
        original = self._original
        deadline = None if timeout_ms < 0 else time.monotonic() + timeout_ms / 1000
        while True:
            original._check_open()
            original.getsockopt(EVENTS)  # (lowers the FD: what changes after this raises it)
            if condition():
                return True
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                return False
            with original._lock:
                original._batcher.flush_now()  # (nothing may wait in a batch while we block)
            fd = original.getsockopt(FD)
            select.select([fd, *original._driver.reading], [], [], remaining)
            original._read_inline(1 << 30)

    # -- sending ------------------------------------------------------------------

    def send(
        self,
        data: Any,
        flags: int = 0,
        copy: bool = True,
        track: bool = False,
        *,
        routing_id: int | None = None,
        group: str | bytes | None = None,
        **_: Any,
    ) -> MessageTracker | None:
        """Send one frame; with SNDMORE it waits for the rest of its message.
        (A SERVER sends to ``routing_id``, a RADIO to ``group``, or to the Frame's own.)"""
        if self._routed:
            return self._send_frames(
                self._addressed(data, flags, routing_id, group, copy), flags, track
            )
        if type(data) is bytes and not flags and not track and not self._outgoing:
            # The common case, as send_multipart's: one bytes frame, queued at once.
            self._window.sends_since_wait += 1
            if self._try_send((data,), None):
                return None
            self._window.sends_since_wait -= 1
        frames = self._frames_to_send(data, flags, copy)
        if frames is None:
            return None
        try:
            return self._send_frames(frames, flags, track)
        except Again:
            self._unsent(frames)
            raise

    def send_multipart(
        self,
        msg_parts: Sequence[Any],
        flags: int = 0,
        copy: bool = True,
        track: bool = False,
        **kwargs: Any,
    ) -> MessageTracker | None:
        """Send a whole message: every frame or none (after any sent with SNDMORE;
        with SNDMORE itself, the message goes on with the next send, as in pyzmq)."""
        if self._routed:  # (one frame, and its routing id or group: send()'s job)
            return self.send(self._only_part(msg_parts), flags, copy, track, **kwargs)
        if flags & SNDMORE:
            self._continue(msg_parts, copy)
            return None
        frames = msg_parts  # (bytes go as they are: the engine copies what it keeps)
        for part in msg_parts:
            if type(part) is not bytes:
                frames = self._message_of(msg_parts, copy)
                break
        begun = self._outgoing
        if begun:  # the message began with send(..., SNDMORE): it goes on
            frames = [*begun, *frames]
            self._outgoing = []
        if not track:  # the common case: queued at once
            self._window.sends_since_wait += 1
            if self._try_send(frames, None):
                return None
            self._window.sends_since_wait -= 1
        try:
            return self._send_frames(frames, flags, track)
        except Again:
            self._outgoing[:0] = begun  # (not sent: the begun message waits again)
            raise

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

    def _send_frames(
        self, frames: Sequence[Buffer], flags: int, track: bool
    ) -> MessageTracker | None:
        tracker = MessageTracker(reactor=self._reactor) if track else None
        self._window.sends_since_wait += 1
        while not self._try_send(frames, tracker):
            timeout = 0 if flags & NOBLOCK else self._sndtimeo
            if timeout == 0:
                raise Again("the socket is at its high-water mark")
            if not self._wait(self._writable, timeout):
                raise Again("sending timed out (SNDTIMEO)")
        return tracker

    # -- receiving --------------------------------------------------------------------

    def recv(self, flags: int = 0, copy: bool = True, track: bool = False) -> Any:
        """The next frame (of the current message, or of the next one)."""
        if self._incoming:
            return self._next_frame(None, copy)
        frames = self._take_unlocked() or self._recv_message(flags)
        if self._routed:
            return self._unaddressed(frames, copy)
        if copy and len(frames) == 1:  # the common case: a one-frame message
            frame = frames[0]
            return frame if type(frame) is bytes else self._copied(frame)
        return self._next_frame(frames, copy)

    def recv_into(self, buffer: Any, /, *, nbytes: int = 0, flags: int = 0) -> int:
        """The next frame, copied into ``buffer``; returns its whole size."""
        view = self._target(buffer, nbytes)
        frames = None if self._incoming else self._recv_message(flags)
        return self._frame_into(frames, view, nbytes)

    def send_serialized(
        self,
        msg: Any,
        serialize: Callable[[Any], Sequence[Any]],
        flags: int = 0,
        copy: bool = True,
        **kwargs: Any,
    ) -> MessageTracker | None:
        """Send ``serialize(msg)``: a list of frames."""
        return self.send_multipart(serialize(msg), flags, copy, **kwargs)

    def recv_serialized(
        self, deserialize: Callable[[list[Any]], Any], flags: int = 0, copy: bool = True
    ) -> Any:
        """``deserialize`` the next message's frames."""
        return deserialize(self.recv_multipart(flags, copy))

    def recv_multipart(self, flags: int = 0, copy: bool = True, track: bool = False) -> list[Any]:
        """The next whole message (or the rest of one read with recv())."""
        if self._incoming:
            return self._deliverable(self._rest_of_message(), copy)  # type: ignore[arg-type]
        frames = self._take_unlocked() or self._recv_message(flags)
        if self._routed:
            return [self._unaddressed(frames, copy)]
        if copy:
            for frame in frames:
                if type(frame) is not bytes:
                    return self._deliverable(frames, copy)
            return frames
        return self._deliverable(frames, copy)

    def recv_string(self, flags: int = 0, encoding: str = "utf-8") -> str:
        return bytes(self.recv(flags)).decode(encoding)

    def recv_json(self, flags: int = 0, **kwargs: Any) -> Any:
        return json.loads(self.recv(flags), **kwargs)

    def recv_pyobj(self, flags: int = 0) -> Any:
        return pickle.loads(self.recv(flags))

    recv_unicode = recv_string

    def _recv_message(self, flags: int) -> list[Any]:
        """The next message, waiting as NOBLOCK and RCVTIMEO allow."""
        self._socket_loop.app_reads += 1
        frames = self._try_recv()
        return self._wait_for_message(flags) if frames is None else frames

    def _wait_for_message(self, flags: int) -> list[Any]:
        """None was queued: read the kernel, or wait, as NOBLOCK and RCVTIMEO allow."""
        while True:
            timeout = 0 if flags & NOBLOCK else self._rcvtimeo
            if timeout == 0:
                if self._read_inline(INLINE_READ_STREAMS):  # what the kernel already holds
                    frames = self._try_recv()
                    if frames is not None:
                        return frames
                raise Again("no message is waiting")
            # Blocking: lead the reactor at once; its poll returns at once if bytes
            # are there, and no recv_into is wasted if they are not.
            if not self._wait(self._readable_check, timeout):
                raise Again("receiving timed out (RCVTIMEO)")
            frames = self._try_recv()
            if frames is not None:
                return frames

    # -- waiting ------------------------------------------------------------------

    def _readable(self) -> bool:
        return self._engine.pattern.readable

    def _writable(self) -> bool:
        return self._engine.pattern.writable

    def _wait(self, condition: Callable[[], bool], timeout_ms: int) -> bool:
        """Run the reactor until ``condition`` holds or time is up.

        ``condition`` is read without the lock: a stale answer only costs one more
        look (a delivery by another thread wakes the leader).
        """
        deadline = None if timeout_ms < 0 else time.monotonic() + timeout_ms / 1000
        window, loop = self._window, self._socket_loop
        window.sends_since_wait = 0
        if window.messages:
            with self._lock:
                window.flush_now()  # never sleep on a held batch
        context, lock = self.context, self._lock

        def ready() -> bool:
            # Looked at before each poll we may lead: streams the background thread
            # left to us (even just now, racing this wait) are polled again.
            if loop.suppressed:
                with lock:
                    loop.reclaim_reads()
            return context._terminated or self._closed or condition()

        inproc = self._inproc
        inproc.waiting += 1  # (before the first look: a delivery after it wakes us)
        try:
            if self._inproc_only():
                satisfied = self._park(ready, deadline)
            else:
                satisfied = self._reactor.wait_until(ready, deadline)
        finally:
            inproc.waiting -= 1
        if self._closed or context._terminated:
            self._check_open()
        return satisfied

    def _inproc_only(self) -> bool:
        """Nothing but inproc peers can bring what we wait for (no connection, no
        listener, no dialer, no batch held for one)."""
        engine = self._engine
        return self._parks and not (
            engine.connections or engine.has_endpoints or self._window.messages
        )

    def _park(self, ready: Callable[[], bool], deadline: float | None) -> bool:
        """``_wait`` on our own lock; the inproc moves that wait for a thread with no
        socket lock are run here (as the reactor's leader would)."""
        parking, transfers = self._parking, self.context._inproc
        parking.parked += 1  # (before the first look: a wake after it is not lost)
        try:
            while True:
                if transfers.pending:
                    transfers.run_transfers()
                if ready():
                    return True
                timeout = None if deadline is None else deadline - time.monotonic()
                if timeout is not None and timeout <= 0:
                    return False
                parking.sleep(timeout)
        finally:
            parking.parked -= 1

    def _wait_released(self, sockets: list[Any]) -> None:
        self._reactor.wait_until(
            lambda: all(sock.fileno() == -1 for sock in sockets), time.monotonic() + 5
        )

    def poll(self, timeout: int | None = None, flags: int = POLLIN) -> int:
        """pyzmq's poll: the events among ``flags`` that are ready, waiting up to ``timeout`` ms."""
        with self._lock:
            self._check_open()
            events = self._events() & flags
        if events:
            return events
        self._read_inline(INLINE_READ_STREAMS)
        wait_ms = -1 if timeout is None or timeout < 0 else int(timeout)
        self._wait(lambda: bool(self._events() & flags), wait_ms)
        with self._lock:
            return self._events() & flags
