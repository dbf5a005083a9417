"""pyzmq's Socket API as coroutines, for every backend that runs on an event loop.

A backend supplies only how a coroutine waits: :meth:`AsyncSocketAPI._until`
(an asyncio future, an anyio event). What the calls guarantee is written once:

* a message leaves the socket only in the synchronous step that returns it, so
  a receive cancelled while it waits (or timed out around) loses nothing;
* a send queues its whole message or none of it, cancelled or not;
* a call that finds its work ready does not wait, but every READY_STREAK-th
  one in a row yields to the event loop first (before taking or queueing
  anything), so a task that only sends or receives cannot starve the others,
  nor the end-of-iteration flush of its own batch.
"""

from __future__ import annotations

import contextlib
import json
import math
import pickle
import time
from collections.abc import Callable, Sequence
from typing import Any, ClassVar, Self

from zmtp_core import Again, Buffer
from zmtp_core import MessageTracker as CoreTracker

from . import constants
from ._api import SocketAPI, weakly
from ._batching import IterationBatcher
from ._loop import SoonLoop
from .constants import SocketType
from .errors import NotDone

__all__ = ["READY_STREAK", "AsyncMessageTracker", "AsyncSocketAPI", "Pace"]

#: Flags as plain ints: an IntFlag in ``flags & NOBLOCK`` builds an enum each time.
NOBLOCK, POLLIN, SNDMORE = int(constants.NOBLOCK), int(constants.POLLIN), int(constants.SNDMORE)
FD, EVENTS = int(constants.FD), int(constants.EVENTS)

#: Calls in a row that found their work ready before one yields to the loop anyway
#: (fewer than a batch: the IterationBatcher flushes at 100 messages).
READY_STREAK = 32


class Pace:
    """Calls in a row that found their work ready and did not wait (READY_STREAK).

    (A plain counter object: a socket's own attributes are set through its
    option-aware ``__setattr__``, too slow for every call.)
    """

    __slots__ = ("count",)

    def __init__(self) -> None:
        self.count = 0


class AsyncSocketAPI(SocketAPI):
    """The waiting calls of zmq.asyncio's Socket, over :meth:`_until`."""

    #: Whether :meth:`_settle` must be awaited after each synchronous step (curio:
    #: what those steps asked of the framework is done there).
    _settles: ClassVar[bool] = False

    def _open(self, context: Any, socket_type: SocketType | int) -> None:
        """Set up as every coroutine backend does: no lock (one loop), end-of-turn
        write batching, waiting tasks woken by :meth:`_wake`, on :meth:`_new_loop`."""
        wake = weakly(self._wake)
        loop = self._new_loop(context, wake)
        self._setup(
            context,
            socket_type,
            lock=contextlib.nullcontext(),
            loop=loop,
            batcher=lambda driver: IterationBatcher(
                driver,
                loop.call_soon,
                threshold=int(driver.engine.options["ZMTP_ZEROCOPY_THRESHOLD"]),
                lone_leaves_at_once=True,
            ),
            wake=wake,
        )
        self._pace = Pace()
        self._inproc.waiting = 1  # (an inproc delivery always calls _wake: it looks itself)

    def _new_loop(self, context: Any, wake: Callable[[], None]) -> SoonLoop:
        """Hook: the backend's Loop for this socket (``wake`` after each of its turns)."""
        raise NotImplementedError

    def _wake(self) -> None:
        """Hook: something happened on the socket: waiting tasks look again."""
        raise NotImplementedError

    def _adopt(self, original: SocketAPI) -> None:
        """This view shows another backend's socket, whose backend does its I/O: it
        waits for the original's FD (with :meth:`_fd_readable`), then looks again."""
        state = self.__dict__
        state["_pace"] = Pace()
        state["_until"] = self._until_fd_says

    async def _until_fd_says(self, condition: Callable[[], bool], timeout_ms: int) -> bool:
        """``_until`` of a view of another backend's socket."""
        original = self._original
        fd = original.getsockopt(FD)
        deadline = None if timeout_ms < 0 else time.monotonic() + timeout_ms / 1000
        while True:
            original.getsockopt(EVENTS)  # (lowers the FD: what changes after this raises it)
            if condition():
                return True
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                return False
            await self._fd_readable(fd, remaining)

    async def _fd_readable(self, fd: int, timeout: float | None) -> None:
        """Hook: wait until ``fd`` is readable, or ``timeout`` seconds (None: no limit)."""
        raise NotImplementedError

    async def _settle(self) -> None:
        """Hook: async work the last synchronous step asked for."""

    async def _yield(self) -> None:
        """Hook: let the event loop run once (the framework's ``sleep(0)``)."""
        raise NotImplementedError

    async def _until(self, condition: Callable[[], bool], timeout_ms: int) -> bool:
        """Wait until ``condition()``; False once ``timeout_ms`` (-1: forever) has passed.

        Raises ETERM/ENOTSOCK if the context or the socket closes meanwhile.
        """
        if self._settles:
            await self._settle()  # (what the synchronous calls before us asked for)
        deadline = math.inf if timeout_ms < 0 else self._clock() + timeout_ms / 1000
        while not condition():
            self._check_open()
            if deadline != math.inf and self._clock() >= deadline:
                return False
            await self._park(deadline)
        self._check_open()
        return True

    def _clock(self) -> float:
        """Hook: the framework's clock, in seconds."""
        raise NotImplementedError

    async def _park(self, deadline: float) -> None:
        """Hook: wait until ``_wake`` or ``deadline`` (``math.inf``: none), leaving
        nothing behind if cancelled."""
        raise NotImplementedError

    # -- sending ------------------------------------------------------------------

    async def send(
        self,
        data: Any,
        flags: int = 0,
        copy: bool = True,
        track: bool = False,
        *,
        routing_id: int | None = None,
        group: str | bytes | None = None,
        **_: Any,
    ) -> AsyncMessageTracker | None:
        """Send one frame; with SNDMORE it waits for the rest of its message.
        (A SERVER sends to ``routing_id``, a RADIO to ``group``, or to the Frame's own.)"""
        if self._routed:
            return await self._send_frames(
                self._addressed(data, flags, routing_id, group, copy), flags, track
            )
        if type(data) is bytes and not flags and not self._outgoing:  # one bytes frame
            return await self._send_frames((data,), flags, track)
        frames = self._frames_to_send(data, flags, copy)
        if frames is None:
            return None
        try:
            return await self._send_frames(frames, flags, track)
        except BaseException:  # Again, or a cancellation of any framework
            self._unsent(frames)
            raise

    async def send_multipart(
        self,
        msg_parts: Sequence[Any],
        flags: int = 0,
        copy: bool = True,
        track: bool = False,
        **kwargs: Any,
    ) -> AsyncMessageTracker | None:
        """Send a whole message: every frame or none, even if cancelled (after any
        sent with SNDMORE: the message goes on; with SNDMORE itself, it goes on with
        the next send)."""
        if self._routed:  # (one frame, and its routing id or group: send()'s job)
            return await self.send(self._only_part(msg_parts), flags, copy, track, **kwargs)
        if flags & SNDMORE:
            self._continue(msg_parts, copy)
            return None
        frames = self._message_of(msg_parts, copy)
        begun = self._outgoing
        if not begun:
            return await self._send_frames(frames, flags, track)
        frames, begun = [*begun, *frames], begun[:]
        self._outgoing.clear()
        try:
            return await self._send_frames(frames, flags, track)
        except BaseException:
            self._outgoing[:0] = begun  # (not sent: the begun message waits again)
            raise

    async def send_string(
        self, u: str, flags: int = 0, copy: bool = True, encoding: str = "utf-8", **kw: Any
    ) -> AsyncMessageTracker | None:
        if not isinstance(u, str):
            raise TypeError("send_string takes a str")
        return await self.send(u.encode(encoding), flags, copy, **kw)

    async def send_json(
        self, obj: Any, flags: int = 0, **kwargs: Any
    ) -> AsyncMessageTracker | None:
        return await self.send(json.dumps(obj).encode("utf-8"), flags, **kwargs)

    async def send_pyobj(
        self, obj: Any, flags: int = 0, protocol: int = pickle.DEFAULT_PROTOCOL, **kwargs: Any
    ) -> AsyncMessageTracker | None:
        return await self.send(pickle.dumps(obj, protocol), flags, **kwargs)

    async def _send_frames(
        self, frames: Sequence[Buffer], flags: int, track: bool
    ) -> AsyncMessageTracker | None:
        if self._pace.count >= READY_STREAK:
            self._pace.count = 0
            await self._yield()  # (nothing is queued yet: a cancellation here loses nothing)
        self._pace.count += 1
        tracker = AsyncMessageTracker(self) if track else None
        while not self._try_send(frames, tracker):
            timeout = 0 if flags & NOBLOCK else self._sndtimeo
            if timeout == 0:
                raise Again("the socket is at its high-water mark")
            self._pace.count = 0
            if not await self._until(self._writable, timeout):
                raise Again("sending timed out (SNDTIMEO)")
        if self._settles:
            await self._settle()
        return tracker

    # -- receiving --------------------------------------------------------------------

    async def recv(self, flags: int = 0, copy: bool = True, track: bool = False) -> Any:
        """The next frame (of the current message, or of the next one)."""
        if self._incoming:
            return self._next_frame(None, copy)
        frames = await self._recv_message(flags)
        if self._routed:
            return self._unaddressed(frames, copy)
        if copy and len(frames) == 1 and type(frames[0]) is bytes:
            return frames[0]  # the common case: a one-frame message
        return self._next_frame(frames, copy)

    async def recv_multipart(
        self, flags: int = 0, copy: bool = True, track: bool = False
    ) -> list[Any]:
        """The next whole message (or the rest of one read with recv())."""
        frames = self._rest_of_message() or await self._recv_message(flags)
        if self._routed:
            return [self._unaddressed(frames, copy)]
        return self._deliverable(frames, copy)

    async def recv_into(self, buffer: Any, /, *, nbytes: int = 0, flags: int = 0) -> int:
        """The next frame, copied into ``buffer``; returns its whole size."""
        view = self._target(buffer, nbytes)
        frames = None if self._incoming else await self._recv_message(flags)
        return self._frame_into(frames, view, nbytes)

    async def send_serialized(
        self,
        msg: Any,
        serialize: Callable[[Any], Sequence[Any]],
        flags: int = 0,
        copy: bool = True,
        **kwargs: Any,
    ) -> AsyncMessageTracker | None:
        """Send ``serialize(msg)``: a list of frames."""
        return await self.send_multipart(serialize(msg), flags, copy, **kwargs)

    async def recv_serialized(
        self, deserialize: Callable[[list[Any]], Any], flags: int = 0, copy: bool = True
    ) -> Any:
        """``deserialize`` the next message's frames."""
        return deserialize(await self.recv_multipart(flags, copy))

    async def recv_string(self, flags: int = 0, encoding: str = "utf-8") -> str:
        return bytes(await self.recv(flags)).decode(encoding)

    async def recv_json(self, flags: int = 0, **kwargs: Any) -> Any:
        return json.loads(await self.recv(flags), **kwargs)

    async def recv_pyobj(self, flags: int = 0) -> Any:
        return pickle.loads(await self.recv(flags))

    async def _recv_message(self, flags: int) -> list[Any]:
        if self._pace.count >= READY_STREAK:
            self._pace.count = 0
            await self._yield()  # (nothing is taken yet: a cancellation here loses nothing)
        self._pace.count += 1
        while True:
            frames = self._try_recv()  # the only step that takes a message out
            if frames is not None:
                if self._settles:
                    await self._settle()  # (which must not be cancelled: the message is out)
                return frames
            timeout = 0 if flags & NOBLOCK else self._rcvtimeo
            if timeout == 0:
                if self._read_inline():
                    continue
                raise Again("no message is waiting")
            self._pace.count = 0
            if not await self._until(self._readable, timeout):
                raise Again("receiving timed out (RCVTIMEO)")

    def _readable(self) -> bool:
        return self._engine.readable

    def _writable(self) -> bool:
        return self._engine.writable

    async def poll(self, timeout: int | None = None, flags: int = POLLIN) -> int:
        """The events among ``flags`` that are ready, waiting up to ``timeout`` ms."""
        self._check_open()
        if self._pace.count >= READY_STREAK:
            self._pace.count = 0
            await self._yield()
        self._pace.count += 1
        wait_ms = -1 if timeout is None or timeout < 0 else int(timeout)
        if not self._events() & flags:
            self._pace.count = 0
            await self._until(lambda: bool(self._events() & flags), wait_ms)
        return self._events() & flags

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self.close()


class AsyncMessageTracker(CoreTracker):
    """Done once the kernel has taken every byte of the message, or it was dropped."""

    __slots__ = ("_socket",)

    def __init__(self, socket: AsyncSocketAPI | None = None) -> None:
        super().__init__()
        self._socket = socket
        if socket is None:  # pyzmq's MessageTracker(): tracks nothing, so done
            self.release()

    async def wait(self, timeout: float = -1) -> None:
        """Wait until done; NotDone after ``timeout`` seconds (-1: no limit)."""
        if self.done or self._socket is None:
            return
        wait_ms = -1 if timeout is None or timeout < 0 else int(timeout * 1000)
        if not await self._socket._until(lambda: self.done, wait_ms):
            raise NotDone()
