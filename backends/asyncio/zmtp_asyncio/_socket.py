"""The Socket: zmq.asyncio's API - the same calls as pyzmq's, returning Futures."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import math
from collections import deque
from collections.abc import Callable, Coroutine, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from zmtp_core import Again, SocketError
from zmtp_transport import (
    READY_STREAK,
    AsyncMessageTracker,
    AsyncSocketAPI,
    Pace,
    SocketAPI,
    constants,
    weakly,
)

from ._loop import AsyncioLoop

if TYPE_CHECKING:
    from ._context import Context

__all__ = ["MessageTracker", "Socket", "as_future"]

#: Flags as plain ints: an IntFlag in ``flags & NOBLOCK`` builds an enum each time.
NOBLOCK, SNDMORE = int(constants.NOBLOCK), int(constants.SNDMORE)
FD, EVENTS = int(constants.FD), int(constants.EVENTS)

MessageTracker = AsyncMessageTracker
_T = TypeVar("_T")


def as_future(loop: asyncio.AbstractEventLoop, work: Coroutine[Any, Any, _T]) -> asyncio.Future[_T]:
    """Run ``work`` now, as far as it goes without waiting: a done Future if it
    finished (no task, no trip round the loop), else a Task that carries on.

    This is what zmq.asyncio's calls return: a Future (``done()``, ``cancel()``,
    callbacks, ``asyncio.wait``), whose work is tried at once, as pyzmq tries it.
    """
    try:
        waiting_on = work.send(None)
    except StopIteration as finished:
        future = loop.create_future()
        future.set_result(finished.value)
        return future
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as error:
        future = loop.create_future()
        future.set_exception(error)
        return future
    task = loop.create_task(_carry_on(work, waiting_on))
    task.add_done_callback(functools.partial(_abandon, work, waiting_on))
    return task


def _abandon(work: Coroutine[Any, Any, Any], waiting_on: Any, task: asyncio.Future[Any]) -> None:
    """A task cancelled before its first step never resumed ``work``, which still
    waits on what it first waited on: cancel that (a receive, which then takes no
    message), and close the work. (A task that started threw the cancellation into
    ``work`` itself, which has ended.)"""
    if task.cancelled() and getattr(work, "cr_frame", None) is not None:
        if isinstance(waiting_on, asyncio.Future):
            waiting_on.cancel()
        work.close()


async def _carry_on(work: Coroutine[Any, Any, _T], waiting_on: Any) -> _T:
    """Drive ``work`` from where as_future() left it, as a Task would (a
    cancellation of this task is thrown into ``work`` at the same await)."""
    started = False
    while True:
        try:
            if waiting_on is None:  # work yielded bare: once round the loop
                if started:  # (this task's own start was that)
                    await asyncio.sleep(0)
            else:
                # Taken over from ``work``, as a Task takes a future it is handed: the
                # flag says a Task now waits on it (we are about to).
                waiting_on._asyncio_future_blocking = False
                await waiting_on
        except BaseException as error:  # cancelled, or what the awaited future raised
            started = True
            try:
                waiting_on = work.throw(error)
            except StopIteration as finished:
                return finished.value  # type: ignore[no-any-return]
            continue
        started = True
        try:
            waiting_on = work.send(None)
        except StopIteration as finished:
            return finished.value  # type: ignore[no-any-return]


class Socket(AsyncSocketAPI):
    """A ZeroMQ socket whose waiting calls return Futures (one event loop at a time).

    It may be made, bound and connected before the loop runs; it lives on the
    loop running when it is first awaited. A cancelled receive loses nothing: a
    message leaves the socket only in the step that returns it. A cancelled
    send queued its whole message or none of it. Waiting calls hold one future
    each, dropped when they return or are cancelled.
    """

    _waiters: list[asyncio.Future[None]]
    #: Receives waiting for a message, in order: (future, whole message?, copy).
    _receivers: deque[tuple[asyncio.Future[Any], bool, bool]]
    _done_send: asyncio.Future[Any] | None
    _serving: bool  # _serve_receivers is running (see there)

    def _new_loop(self, context: Context, wake: Callable[[], None]) -> AsyncioLoop:
        self._aloop = loop = AsyncioLoop(after=wake, moved=weakly(self._moved))
        self._own_waits()
        return loop

    def _own_waits(self) -> None:
        """This object's own waiting calls: nothing waits yet (a view's are its own,
        not the original's, so they are set in its ``__dict__`` directly)."""
        state = self.__dict__
        state["_waiters"], state["_receivers"] = [], deque()
        state["_done_send"], state["_serving"] = None, False

    @classmethod
    def from_socket(cls, socket: SocketAPI, io_loop: Any = None) -> Socket:
        """pyzmq's: an asyncio socket over a blocking one (a shadow of it)."""
        return cls.shadow(socket)

    def _adopt(self, original: SocketAPI) -> None:
        """This view shows another backend's socket (a blocking one, whose thread
        does its I/O): it waits as any of ours, woken by the original's FD, which
        a reader on the running loop watches from the view's first call."""
        state = self.__dict__
        state["_aloop"] = AsyncioLoop(after=lambda: None)
        self._own_waits()
        state["_pace"] = Pace()
        state["_watching"] = None
        state["_running"] = self._running_view  # (this view's only: others pay nothing)

    def _running_view(self) -> asyncio.AbstractEventLoop:
        loop = Socket._running(self)
        if self.__dict__["_watching"] is None:
            fd = self._original.getsockopt(FD)
            loop.add_reader(fd, self._original_changed)
            self.__dict__["_watching"] = (loop, fd)
        return loop

    def _original_changed(self) -> None:
        if self._original.closed:
            self._release_view()
        else:
            self._original.getsockopt(EVENTS)  # (lowers the FD: a later change raises it)
        self._wake()

    def _release_view(self) -> None:
        watching = self.__dict__.get("_watching")
        if watching is not None:
            self.__dict__["_watching"] = None
            loop, fd = watching
            if not loop.is_closed():
                loop.remove_reader(fd)

    def _wake(self) -> None:
        """Something happened on the socket: waiting receives take their messages (in
        this very callback: the receiving task wakes next), waiting coroutines look again."""
        if self._receivers:
            self._serve_receivers()
        if self._waiters:
            waiters = self._waiters[:]
            self._waiters.clear()
            for waiter in waiters:
                if not waiter.done():
                    waiter.set_result(None)

    async def _yield(self) -> None:
        await asyncio.sleep(0)

    def _clock(self) -> float:
        return self._live(self._aloop.loop).time()

    async def _park(self, deadline: float) -> None:
        loop = self._live(self._aloop.loop)
        waiter: asyncio.Future[None] = loop.create_future()
        self._waiters.append(waiter)
        timer = None if deadline == math.inf else loop.call_at(deadline, _settle, waiter)
        try:
            await waiter
        finally:
            if timer is not None:
                timer.cancel()
            with contextlib.suppress(ValueError):
                self._waiters.remove(waiter)  # (cancelled: nothing must stay behind)
        if self._closed:  # closed while we waited: the call is cancelled, as in pyzmq
            raise asyncio.CancelledError("the socket was closed")

    # -- zmq.asyncio's Futures ------------------------------------------------------

    def _running(self) -> asyncio.AbstractEventLoop:
        """The socket's loop (attached to the running one at first use)."""
        loop = self._aloop._loop
        if loop is not None:
            return loop  # (not checked again: a call outside it only finds no loop to wait on)
        loop = self._aloop.loop
        running = asyncio._get_running_loop()
        if running is loop:
            # The context's sockets made before the loop start their I/O too (a view's
            # original lives in another backend's context: nothing to attach).
            attach = getattr(self.context, "_attach", None)
            if attach is not None:
                attach(loop)
        else:
            raise RuntimeError(
                "zmtp_asyncio sockets wait on the running event loop: await them inside a coroutine"
                if running is None
                else "this zmtp_asyncio socket lives on another event loop (the one running "
                "when it was first awaited)"
            )
        return loop

    def _live(self, loop: asyncio.AbstractEventLoop) -> asyncio.AbstractEventLoop:
        """``loop``, or the running one if ``loop`` was closed since (checked only where
        a call must wait: a call that completes at once needs no live loop)."""
        return self._aloop.loop if loop.is_closed() else loop

    def _moved(self) -> None:
        """The socket now lives on another loop: what the old one was to run, runs here."""
        self._driver.rearm()
        self._batcher.flush_now()  # (an end-of-iteration flush may have died with it)

    def _future(self, work: Coroutine[Any, Any, _T]) -> asyncio.Future[_T]:
        try:
            loop = self._live(self._running())
        except RuntimeError:
            work.close()
            raise
        return as_future(loop, work)

    # The four hot calls complete at once without a coroutine when they can; a
    # receive that must wait is served by _wake() itself, in the callback that
    # brought its message (no task: the receiver wakes one loop turn later).

    def send(  # type: ignore[override]
        self, data: Any, flags: int = 0, copy: bool = True, track: bool = False, **kwargs: Any
    ) -> asyncio.Future[Any]:
        loop = self._running()
        pace = self._pace
        if not track and pace.count < READY_STREAK and not self._routed:
            if type(data) is bytes and not flags and not self._outgoing:  # one bytes frame
                if self._try_send((data,), None):
                    pace.count += 1
                    return self._sent(loop)
                return as_future(
                    self._live(loop), AsyncSocketAPI.send(self, data, flags, copy, track, **kwargs)
                )
            frames = self._frames_to_send(data, flags, copy)
            if frames is None:  # SNDMORE: kept until the message's last frame
                return self._sent(loop)
            if self._try_send(frames, None):
                pace.count += 1
                return self._sent(loop)
            self._unsent(frames)
        return as_future(
            self._live(loop), AsyncSocketAPI.send(self, data, flags, copy, track, **kwargs)
        )

    def send_multipart(  # type: ignore[override]
        self,
        msg_parts: Sequence[Any],
        flags: int = 0,
        copy: bool = True,
        track: bool = False,
        **kwargs: Any,
    ) -> asyncio.Future[Any]:
        loop = self._running()
        pace = self._pace
        quick = not (track or flags & SNDMORE or self._outgoing or self._routed)
        quick = quick and pace.count < READY_STREAK
        if quick and self._try_send(self._message_of(msg_parts, copy), None):
            pace.count += 1
            return self._sent(loop)
        work = AsyncSocketAPI.send_multipart(self, msg_parts, flags, copy, track, **kwargs)
        return as_future(self._live(loop), work)

    def _sent(self, loop: asyncio.AbstractEventLoop) -> asyncio.Future[Any]:
        """What a send that queued its message at once returns: a done Future (one
        per socket, shared: its result is None)."""
        sent = self._done_send
        if sent is None:
            sent = self._done_send = loop.create_future()
            sent.set_result(None)
        return sent

    def recv(  # type: ignore[override]
        self, flags: int = 0, copy: bool = True, track: bool = False
    ) -> asyncio.Future[Any]:
        return self._receive(flags, copy, whole=False)

    def recv_multipart(  # type: ignore[override]
        self, flags: int = 0, copy: bool = True, track: bool = False
    ) -> asyncio.Future[list[Any]]:
        return self._receive(flags, copy, whole=True)

    def _receive(self, flags: int, copy: bool, whole: bool) -> asyncio.Future[Any]:
        loop = self._running()
        future: asyncio.Future[Any] = loop.create_future()
        pace = self._pace
        try:
            if (
                not self._receivers
                and pace.count < READY_STREAK
                and self._take(future, whole, copy)
            ):
                pace.count += 1
                return future
            self._check_open()
            timeout = 0 if flags & NOBLOCK else self._rcvtimeo
            if timeout == 0 and pace.count >= READY_STREAK:  # the coroutine: a yield, a look
                base = AsyncSocketAPI.recv_multipart if whole else AsyncSocketAPI.recv
                return as_future(self._live(loop), base(self, flags, copy))
            if timeout == 0:
                if self._receivers or not (self._read_inline() and self._take(future, whole, copy)):
                    future.set_exception(Again("no message is waiting"))
                return future
        except SocketError as error:
            future.set_exception(error)
            return future
        pace.count = 0
        if loop.is_closed():  # (see _live: this receive waits, on the loop running now)
            loop = self._live(loop)
            future = loop.create_future()
        self._receivers.append((future, whole, copy))
        future.add_done_callback(self._forget_receiver)
        if timeout > 0:
            loop.call_at(loop.time() + timeout / 1000, _time_out, future)
        if not self._engine.readable:
            return future
        loop.call_soon(self._wake)  # ready, but others run first (READY_STREAK)
        return future

    def _take(self, future: asyncio.Future[Any], whole: bool, copy: bool) -> bool:
        """Complete ``future`` with the next message (or frame) if there is one."""
        if self._incoming:
            frames = None
        else:
            frames = self._try_recv()
            if frames is None:
                return False
        if self._routed and frames is not None:  # a SERVER's: [routing id, frame]
            delivered = self._unaddressed(frames, copy)
            future.set_result([delivered] if whole else delivered)
        elif whole:
            future.set_result(self._deliverable(frames or self._rest_of_message() or [], copy))
        elif copy and frames is not None and len(frames) == 1 and type(frames[0]) is bytes:
            future.set_result(frames[0])  # the common case: a one-frame message
        else:
            future.set_result(self._next_frame(frames, copy))
        return True

    def _serve_receivers(self) -> None:
        # Taking a message can move an inproc peer's held messages, which wakes us
        # again from inside _take: that inner call must leave the head receiver to
        # this loop (which sees the new messages), or it would get two messages.
        if self._serving:
            return
        self._serving = True
        try:
            receivers = self._receivers
            while receivers:
                future, whole, copy = receivers[0]
                if future.done():  # cancelled, or timed out
                    receivers.popleft()
                    continue
                try:
                    if self._closed:  # closed while it waited: cancelled, as in pyzmq
                        future.cancel()
                    else:
                        self._check_open()
                        if not self._take(future, whole, copy):
                            return
                except SocketError as error:
                    future.set_exception(error)
                receivers.popleft()
        finally:
            self._serving = False

    def _forget_receiver(self, future: asyncio.Future[Any]) -> None:
        if future.cancelled():
            for index, (waiting, _, _) in enumerate(self._receivers):
                if waiting is future:
                    del self._receivers[index]
                    break

    def send_string(self, *args: Any, **kwargs: Any) -> asyncio.Future[Any]:  # type: ignore[override]
        return self._future(AsyncSocketAPI.send_string(self, *args, **kwargs))

    def send_json(self, *args: Any, **kwargs: Any) -> asyncio.Future[Any]:  # type: ignore[override]
        return self._future(AsyncSocketAPI.send_json(self, *args, **kwargs))

    def send_pyobj(self, *args: Any, **kwargs: Any) -> asyncio.Future[Any]:  # type: ignore[override]
        return self._future(AsyncSocketAPI.send_pyobj(self, *args, **kwargs))

    def send_serialized(self, *args: Any, **kwargs: Any) -> asyncio.Future[Any]:  # type: ignore[override]
        return self._future(AsyncSocketAPI.send_serialized(self, *args, **kwargs))

    def recv_string(self, *args: Any, **kwargs: Any) -> asyncio.Future[str]:  # type: ignore[override]
        return self._future(AsyncSocketAPI.recv_string(self, *args, **kwargs))

    def recv_json(self, *args: Any, **kwargs: Any) -> asyncio.Future[Any]:  # type: ignore[override]
        return self._future(AsyncSocketAPI.recv_json(self, *args, **kwargs))

    def recv_pyobj(self, *args: Any, **kwargs: Any) -> asyncio.Future[Any]:  # type: ignore[override]
        return self._future(AsyncSocketAPI.recv_pyobj(self, *args, **kwargs))

    def recv_serialized(self, *args: Any, **kwargs: Any) -> asyncio.Future[Any]:  # type: ignore[override]
        return self._future(AsyncSocketAPI.recv_serialized(self, *args, **kwargs))

    def recv_into(self, *args: Any, **kwargs: Any) -> asyncio.Future[int]:  # type: ignore[override]
        return self._future(AsyncSocketAPI.recv_into(self, *args, **kwargs))

    def poll(self, *args: Any, **kwargs: Any) -> asyncio.Future[int]:  # type: ignore[override]
        return self._future(AsyncSocketAPI.poll(self, *args, **kwargs))

    send_unicode = send_string
    recv_unicode = recv_string


def _time_out(future: asyncio.Future[Any]) -> None:
    if not future.done():
        future.set_exception(Again("receiving timed out (RCVTIMEO)"))


def _settle(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)
