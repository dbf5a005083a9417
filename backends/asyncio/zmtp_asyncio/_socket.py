"""The Socket: zmq.asyncio's API - the same calls as pyzmq's, awaited."""

from __future__ import annotations

import asyncio
import contextlib
import json
import pickle
import warnings
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from zmtp_core import Again, Buffer, SocketType
from zmtp_core import MessageTracker as CoreTracker
from zmtp_transport._api import EndpointContext, SocketAPI
from zmtp_transport.constants import NOBLOCK, POLLIN
from zmtp_transport.errors import NotDone

from ._loop import AsyncioLoop, IterationBatcher

if TYPE_CHECKING:
    from ._context import Context

__all__ = ["MessageTracker", "Socket"]


class Socket(SocketAPI):
    """A ZeroMQ socket whose waiting calls are coroutines (one event loop at a time).

    A cancelled receive loses nothing: a message leaves the socket only in the
    step that returns it. A cancelled send queued its whole message or none of
    it. Waiting coroutines hold one future each, dropped when they return or
    are cancelled.
    """

    _poller_name = "zmtp_asyncio.Poller"

    def __init__(self, context: Context, socket_type: SocketType | int) -> None:
        loop = AsyncioLoop(after=self._wake)
        super().__init__(
            context,
            socket_type,
            lock=contextlib.nullcontext(),
            loop=loop,
            batcher=IterationBatcher(loop),
            wake=self._wake,
        )
        self._aloop = loop
        self._waiters: list[asyncio.Future[None]] = []

    def bind(self, addr: str) -> EndpointContext:
        self._aloop.loop  # noqa: B018 - fails clearly, before a socket is opened
        return super().bind(addr)

    def connect(self, addr: str) -> EndpointContext:
        self._aloop.loop  # noqa: B018 - fails clearly, before a pipe is attached
        return super().connect(addr)

    # -- waiting ------------------------------------------------------------------

    def _wake(self) -> None:
        """Something happened on the socket: waiting coroutines look again."""
        if self._waiters:
            waiters, self._waiters = self._waiters, []
            for waiter in waiters:
                if not waiter.done():
                    waiter.set_result(None)

    async def _until(self, condition: Callable[[], bool], timeout_ms: int) -> bool:
        """Wait until ``condition()``; False once ``timeout_ms`` (-1: forever) has passed."""
        loop = self._aloop.loop
        deadline = None if timeout_ms < 0 else loop.time() + timeout_ms / 1000
        while not condition():
            self._check_open()
            if deadline is not None and loop.time() >= deadline:
                return False
            waiter: asyncio.Future[None] = loop.create_future()
            self._waiters.append(waiter)
            timer = None if deadline is None else loop.call_at(deadline, _settle, waiter)
            try:
                await waiter
            finally:
                if timer is not None:
                    timer.cancel()
                with contextlib.suppress(ValueError):
                    self._waiters.remove(waiter)  # (cancelled: nothing must stay behind)
        self._check_open()
        return True

    # -- sending ------------------------------------------------------------------

    async def send(
        self, data: Any, flags: int = 0, copy: bool = True, track: bool = False, **_: Any
    ) -> MessageTracker | None:
        """Send one frame; with SNDMORE it waits for the rest of its message."""
        frames = self._frames_to_send(data, flags, copy)
        if frames is None:
            return None
        try:
            return await self._send_frames(frames, flags, track)
        except (Again, asyncio.CancelledError):
            self._unsent(frames)
            raise

    async def send_multipart(
        self,
        msg_parts: Sequence[Any],
        flags: int = 0,
        copy: bool = True,
        track: bool = False,
        **_: Any,
    ) -> MessageTracker | None:
        """Send a whole message: every frame or none, even if cancelled."""
        frames = [self._frame_buffer(part, copy) for part in msg_parts]
        return await self._send_frames(frames, flags, track)

    async def send_string(
        self, u: str, flags: int = 0, copy: bool = True, encoding: str = "utf-8", **kw: Any
    ) -> MessageTracker | None:
        if not isinstance(u, str):
            raise TypeError("send_string takes a str")
        return await self.send(u.encode(encoding), flags, copy, **kw)

    async def send_json(self, obj: Any, flags: int = 0, **kwargs: Any) -> MessageTracker | None:
        return await self.send(json.dumps(obj).encode("utf-8"), flags, **kwargs)

    async def send_pyobj(
        self, obj: Any, flags: int = 0, protocol: int = pickle.DEFAULT_PROTOCOL, **kwargs: Any
    ) -> MessageTracker | None:
        return await self.send(pickle.dumps(obj, protocol), flags, **kwargs)

    async def _send_frames(
        self, frames: list[Buffer], flags: int, track: bool
    ) -> MessageTracker | None:
        tracker = MessageTracker(self) if track else None
        while not self._try_send(frames, tracker):
            timeout = 0 if flags & NOBLOCK else self._core.options["SNDTIMEO"]
            if timeout == 0:
                raise Again("the socket is at its high-water mark")
            if not await self._until(self._writable, timeout):
                raise Again("sending timed out (SNDTIMEO)")
        return tracker

    # -- receiving --------------------------------------------------------------------

    async def recv(self, flags: int = 0, copy: bool = True, track: bool = False) -> Any:
        """The next frame (of the current message, or of the next one)."""
        frames = None if self._incoming else await self._recv_message(flags)
        return self._next_frame(frames, copy)

    async def recv_multipart(
        self, flags: int = 0, copy: bool = True, track: bool = False
    ) -> list[Any]:
        """The next whole message (or the rest of one read with recv())."""
        frames = self._rest_of_message() or await self._recv_message(flags)
        return self._deliverable(frames, copy)

    async def recv_string(self, flags: int = 0, encoding: str = "utf-8") -> str:
        return bytes(await self.recv(flags)).decode(encoding)

    async def recv_json(self, flags: int = 0, **kwargs: Any) -> Any:
        return json.loads(await self.recv(flags), **kwargs)

    async def recv_pyobj(self, flags: int = 0) -> Any:
        return pickle.loads(await self.recv(flags))

    async def _recv_message(self, flags: int) -> list[Any]:
        while True:
            frames = self._try_recv()  # the only step that takes a message out
            if frames is not None:
                return frames
            timeout = 0 if flags & NOBLOCK else self._core.options["RCVTIMEO"]
            if timeout == 0:
                if self._read_inline():
                    continue
                raise Again("no message is waiting")
            if not await self._until(self._readable, timeout):
                raise Again("receiving timed out (RCVTIMEO)")

    def _readable(self) -> bool:
        return self._core.readable

    def _writable(self) -> bool:
        return self._core.writable

    async def poll(self, timeout: int | None = None, flags: int = POLLIN) -> int:
        """The events among ``flags`` that are ready, waiting up to ``timeout`` ms."""
        self._check_open()
        wait_ms = -1 if timeout is None or timeout < 0 else int(timeout)
        await self._until(lambda: bool(self._events() & flags), wait_ms)
        return self._events() & flags

    # -- the end ------------------------------------------------------------------

    async def __aenter__(self) -> Socket:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self.close()

    def __enter__(self) -> Socket:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __del__(self) -> None:
        if not getattr(self, "_closed", True):
            warnings.warn(f"unclosed socket {self!r}", ResourceWarning, stacklevel=1)
            with contextlib.suppress(Exception):  # best effort, possibly at interpreter exit
                self.close(linger=0)


def _settle(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)


class MessageTracker(CoreTracker):
    """Done once the kernel has taken every byte of the message, or it was dropped."""

    __slots__ = ("_socket",)

    def __init__(self, socket: Socket) -> None:
        super().__init__()
        self._socket = socket

    async def wait(self, timeout: float = -1) -> None:
        """Wait until done; NotDone after ``timeout`` seconds (-1: no limit)."""
        wait_ms = -1 if timeout is None or timeout < 0 else int(timeout * 1000)
        if not await self._socket._until(lambda: self.done, wait_ms):
            raise NotDone()
