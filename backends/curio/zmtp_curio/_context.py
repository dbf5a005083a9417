"""The Context: an async context manager that owns its sockets' background tasks."""

from __future__ import annotations

import contextlib
from typing import Any

import curio
from curio.sched import SchedBarrier

from zmtp_transport import ContextBase

from ._loop import Deferred, Readiness, Scheduler
from ._socket import Socket

__all__ = ["Context"]


class Context(ContextBase[Socket]):
    """ZeroMQ's Context for curio::

        async with zmtp_curio.Context() as ctx:
            async with ctx.socket(zmtp_curio.DEALER) as sock:
                ...

    Entering starts a task group holding every background task of its sockets
    (readiness for every raw socket, the timer task, the task that serves
    requests made outside a flush point). Leaving closes the sockets still open, waits for
    lingering messages to leave (each socket's LINGER bounds it), then cancels
    what is left: no task outlives the block.
    """

    _socket_class = Socket

    def __init__(self, io_threads: Any = 1, *, shadow: Any = None, **kwargs: Any) -> None:
        if self._shadows(io_threads, shadow):
            return
        super().__init__(io_threads)
        self._deferred = Deferred()
        self._scheduler = Scheduler(self._deferred)
        self._readiness = Readiness(self._deferred)
        self._group: curio.TaskGroup | None = None
        self._linger_done = SchedBarrier()

    def _check_can_make_sockets(self) -> None:
        if self._group is None and not self._terminated:
            raise RuntimeError(
                "a zmtp_curio Context makes sockets once entered: async with Context() as ctx"
            )

    def _lingering_over(self) -> None:
        self._deferred.wake(self._linger_done)

    async def wait_closed(self) -> None:
        """Wait until no socket of this context has anything left to send."""
        await self._deferred.flush()
        while self._lingering:
            await self._linger_done.suspend()

    async def __aenter__(self) -> Context:
        if self._group is not None or self._terminated:
            raise RuntimeError("a zmtp_curio Context is entered once")
        group = curio.TaskGroup(wait=None)  # (leaving cancels what still runs)
        await group.__aenter__()
        self._group = group
        await group.spawn(self._scheduler.run)
        await group.spawn(self._readiness.serve)
        await group.spawn(self._deferred.serve_nudges)
        return self

    async def __aexit__(self, *exc_info: Any) -> bool | None:
        group = self._group
        assert group is not None
        try:
            await self._close_on_exit(failed=exc_info[0] is not None)
        finally:
            with contextlib.suppress(Exception):
                await self._deferred.flush()
            suppressed = await group.__aexit__(*exc_info)
            self._group = None
        return bool(suppressed)
