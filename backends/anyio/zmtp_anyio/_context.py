"""The Context: an async context manager that owns its sockets' background tasks."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Coroutine
from typing import Any

import anyio
from anyio.abc import TaskGroup

from zmtp_transport import ContextBase

from ._loop import Scheduler
from ._socket import Socket

__all__ = ["Context"]


class Context(ContextBase[Socket]):
    """ZeroMQ's Context in anyio's idiom::

        async with zmtp_anyio.Context() as ctx:
            async with ctx.socket(zmtp_anyio.DEALER) as sock:
                ...

    Entering starts a task group that holds every background task of its
    sockets (readiness watchers, timers for reconnects, heartbeats and LINGER).
    Leaving closes the sockets still open, waits for lingering messages to
    leave (each socket's LINGER bounds it), then cancels what is left: no task
    outlives the block.
    """

    _socket_class = Socket

    def __init__(self, io_threads: Any = 1, *, shadow: Any = None, **kwargs: Any) -> None:
        if self._shadows(io_threads, shadow):
            return
        super().__init__(io_threads)
        self._scheduler = Scheduler()
        self._task_group: TaskGroup | None = None
        self._linger_waiters: list[anyio.Event] = []

    def _check_can_make_sockets(self) -> None:
        if self._task_group is None and not self._terminated:
            raise RuntimeError(
                "a zmtp_anyio Context makes sockets once entered: async with Context() as ctx"
            )

    def _spawn(self, function: Callable[..., Coroutine[Any, Any, None]], *args: Any) -> None:
        if self._task_group is None:
            raise RuntimeError("the zmtp_anyio Context has been left")
        self._task_group.start_soon(function, *args)

    def _lingering_over(self) -> None:
        waiters, self._linger_waiters = self._linger_waiters, []
        for waiter in waiters:
            waiter.set()

    async def wait_closed(self) -> None:
        """Wait until no socket of this context has anything left to send."""
        while self._lingering:
            waiter = anyio.Event()
            self._linger_waiters.append(waiter)
            try:
                await waiter.wait()
            finally:
                with contextlib.suppress(ValueError):
                    self._linger_waiters.remove(waiter)

    async def __aenter__(self) -> Context:
        if self._task_group is not None or self._terminated:
            raise RuntimeError("a zmtp_anyio Context is entered once")
        task_group = anyio.create_task_group()
        await task_group.__aenter__()
        self._task_group = task_group
        task_group.start_soon(self._scheduler.run)
        return self

    async def __aexit__(self, *exc_info: Any) -> bool | None:
        task_group = self._task_group
        assert task_group is not None
        try:
            await self._close_on_exit(failed=exc_info[0] is not None)
        finally:
            task_group.cancel_scope.cancel()
            suppressed = await task_group.__aexit__(*exc_info)
            self._task_group = None
        return suppressed
