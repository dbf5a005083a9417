"""zmq-anyio (pyzmq sockets waited on by anyio), behind the calls the async workers make.

zmq-anyio spells its coroutines ``asend``/``arecv`` and runs a task per socket;
this module gives it the Context/socket shape the workers use for every
library, so the same measuring code drives it.
"""

from __future__ import annotations

from typing import Any

import anyio
import zmq
import zmq_anyio
from anyio.abc import TaskGroup

__all__ = ["Context"]


class Context:
    """A pyzmq Context whose sockets' tasks live in this block's task group."""

    def __init__(self) -> None:
        self._context = zmq.Context()
        self._tasks: TaskGroup | None = None

    async def __aenter__(self) -> Context:
        self._tasks = anyio.create_task_group()
        await self._tasks.__aenter__()
        return self

    async def __aexit__(self, *exc_info: Any) -> bool | None:
        assert self._tasks is not None
        self._tasks.cancel_scope.cancel()
        suppressed = await self._tasks.__aexit__(*exc_info)
        self._context.term()
        return suppressed

    def socket(self, kind: int) -> Socket:
        assert self._tasks is not None
        sock = zmq_anyio.Socket(self._context.socket(kind))
        self._tasks.start_soon(sock.start)
        return Socket(sock)


class Socket:
    """Options and bind/connect pass through; the waiting calls are awaited futures."""

    def __init__(self, sock: zmq_anyio.Socket) -> None:
        object.__setattr__(self, "_sock", sock)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._sock, name, value)

    async def send(self, data: Any, copy: bool = True) -> None:
        await self._sock.started.wait()
        await _outcome(self._sock.asend(data, copy=copy))

    async def send_multipart(self, frames: list[Any], copy: bool = True) -> None:
        await self._sock.started.wait()
        await _outcome(self._sock.asend_multipart(frames, copy=copy))

    async def recv(self, copy: bool = True) -> Any:
        await self._sock.started.wait()
        return await _outcome(self._sock.arecv(copy=copy))

    async def recv_multipart(self, copy: bool = True) -> list[Any]:
        await self._sock.started.wait()
        frames: list[Any] = await _outcome(self._sock.arecv_multipart(copy=copy))
        return frames

    async def poll(self, timeout: int) -> int:
        await self._sock.started.wait()
        events: int = await _outcome(self._sock.apoll(timeout))
        return events


async def _outcome(future: anyio.Future[Any]) -> Any:
    """The future's value, or the error it failed with (a ZMQError, as pyzmq raises it)."""
    try:
        return await future
    except anyio.FutureFailed:
        if future.exception is not None:
            raise future.exception from None
        raise
