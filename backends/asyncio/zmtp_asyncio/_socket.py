"""The Socket: zmq.asyncio's API - the same calls as pyzmq's, returning Futures."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any, TypeVar

from zmtp_core import SocketType
from zmtp_transport import AsyncMessageTracker, AsyncSocketAPI, Driver, IterationBatcher
from zmtp_transport._api import weakly

from ._loop import AsyncioLoop

if TYPE_CHECKING:
    from ._context import Context

__all__ = ["MessageTracker", "Socket", "as_future"]

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
    return loop.create_task(_carry_on(work, waiting_on))


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

    _poller_name = "zmtp_asyncio.Poller"

    def __init__(
        self, context: Context, socket_type: SocketType | int, copy_threshold: int | None = None
    ) -> None:
        wake = weakly(self._wake)
        loop = AsyncioLoop(after=wake)
        super().__init__(
            context,
            socket_type,
            lock=contextlib.nullcontext(),
            loop=loop,
            batcher=lambda driver: IterationBatcher(
                driver, loop.call_soon, threshold=_threshold(driver), lone_leaves_at_once=True
            ),
            wake=wake,
            copy_threshold=copy_threshold,
        )
        self._aloop = loop
        self._waiters: list[asyncio.Future[None]] = []
        self._inproc.waiting = 1  # (an inproc delivery always calls _wake: it looks itself)

    def _wake(self) -> None:
        """Something happened on the socket: waiting coroutines look again."""
        if self._waiters:
            waiters, self._waiters = self._waiters, []
            for waiter in waiters:
                if not waiter.done():
                    waiter.set_result(None)

    async def _yield(self) -> None:
        await asyncio.sleep(0)

    async def _until(self, condition: Callable[[], bool], timeout_ms: int) -> bool:
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

    # -- zmq.asyncio's Futures ------------------------------------------------------

    def _future(self, work: Coroutine[Any, Any, _T]) -> asyncio.Future[_T]:
        try:
            loop = self._aloop.loop
            if asyncio._get_running_loop() is not loop:
                raise RuntimeError(
                    "this zmtp_asyncio socket lives on another event loop (the one "
                    "running when it was first awaited)"
                    if asyncio._get_running_loop() is not None
                    else "zmtp_asyncio sockets wait on the running event loop: "
                    "await them inside a coroutine"
                )
        except RuntimeError:
            work.close()
            raise
        return as_future(loop, work)

    def send(self, *args: Any, **kwargs: Any) -> asyncio.Future[Any]:  # type: ignore[override]
        return self._future(AsyncSocketAPI.send(self, *args, **kwargs))

    def send_multipart(self, *args: Any, **kwargs: Any) -> asyncio.Future[Any]:  # type: ignore[override]
        return self._future(AsyncSocketAPI.send_multipart(self, *args, **kwargs))

    def send_string(self, *args: Any, **kwargs: Any) -> asyncio.Future[Any]:  # type: ignore[override]
        return self._future(AsyncSocketAPI.send_string(self, *args, **kwargs))

    def send_json(self, *args: Any, **kwargs: Any) -> asyncio.Future[Any]:  # type: ignore[override]
        return self._future(AsyncSocketAPI.send_json(self, *args, **kwargs))

    def send_pyobj(self, *args: Any, **kwargs: Any) -> asyncio.Future[Any]:  # type: ignore[override]
        return self._future(AsyncSocketAPI.send_pyobj(self, *args, **kwargs))

    def send_serialized(self, *args: Any, **kwargs: Any) -> asyncio.Future[Any]:  # type: ignore[override]
        return self._future(AsyncSocketAPI.send_serialized(self, *args, **kwargs))

    def recv(self, *args: Any, **kwargs: Any) -> asyncio.Future[Any]:  # type: ignore[override]
        return self._future(AsyncSocketAPI.recv(self, *args, **kwargs))

    def recv_multipart(self, *args: Any, **kwargs: Any) -> asyncio.Future[list[Any]]:  # type: ignore[override]
        return self._future(AsyncSocketAPI.recv_multipart(self, *args, **kwargs))

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


def _threshold(driver: Driver) -> int:
    return int(driver.engine.options["ZMTP_ZEROCOPY_THRESHOLD"])


def _settle(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)
