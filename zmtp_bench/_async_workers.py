"""The measuring ends for async libraries: the same steps as _workers, awaited.

They run under ``anyio.run`` on the library's event loop (asyncio or trio), or
under ``curio.run``, so one copy serves zmq.asyncio, zmq-anyio and zmtp's
asyncio, anyio and curio backends; the few framework calls go through _Runtime.
"""

from __future__ import annotations

import contextlib
import os
import queue
import time
from collections.abc import AsyncIterator, Callable, Coroutine
from types import ModuleType
from typing import Any

from zmtp_bench._libraries import LIBRARIES
from zmtp_bench._workers import (
    ONE_WAY,
    PROBE,
    SOCKETS,
    STOP,
    WARMUP_ROUND_TRIPS,
    WINDOW,
    Channel,
    Job,
    _prepare,
    _reset,
    _snapshot,
    _socket,
    calls,
    is_stop,
    new_endpoint,
)

__all__ = ["run_both_ends", "run_end"]


class _Runtime:
    """What the ends need from their framework: sleep, a thread, two tasks, run."""

    def __init__(self, runner: str) -> None:
        self.runner = runner

    async def sleep(self, seconds: float) -> None:
        if self.runner == "curio":
            import curio  # noqa: PLC0415 - only for the curio backend

            await curio.sleep(seconds)
        else:
            import anyio  # noqa: PLC0415

            await anyio.sleep(seconds)

    async def in_thread(self, function: Callable[[], Any]) -> Any:
        if self.runner == "curio":
            import curio  # noqa: PLC0415

            return await curio.run_in_thread(function)
        import anyio.to_thread  # noqa: PLC0415

        return await anyio.to_thread.run_sync(function)

    async def both(
        self,
        one: Callable[[], Coroutine[Any, Any, None]],
        other: Callable[[], Coroutine[Any, Any, None]],
    ) -> None:
        if self.runner == "curio":
            import curio  # noqa: PLC0415

            async with curio.TaskGroup() as tasks:
                await tasks.spawn(one)
                await tasks.spawn(other)
            return
        import anyio  # noqa: PLC0415

        async with anyio.create_task_group() as tasks:
            tasks.start_soon(one)
            tasks.start_soon(other)

    def run(self, main: Callable[..., Coroutine[Any, Any, Any]], *args: Any) -> Any:
        if self.runner == "curio":
            import curio  # noqa: PLC0415

            return curio.run(main, *args)
        import anyio  # noqa: PLC0415

        return anyio.run(main, *args, backend=self.runner)


_runtime = _Runtime("asyncio")  # (its runner is set by run_end and run_both_ends)


async def _routable_send(zmq: ModuleType, sock: Any, frames: list[bytes]) -> None:
    while True:
        try:
            await sock.send_multipart(frames)
            return
        except zmq.ZMQError as error:
            if error.errno != zmq.EHOSTUNREACH:
                raise
            await _runtime.sleep(0.001)


async def _get(channel: Any) -> Any:
    """A queue read without blocking the event loop."""
    return await _runtime.in_thread(lambda: channel.get(timeout=30))


async def throughput_receiver(
    zmq: ModuleType, ctx: Any, channel: Channel, job: Job
) -> dict[str, Any]:
    sock = _socket(zmq, ctx, SOCKETS[job.pattern][0], b"receiver", job)
    if job.sender_binds:
        sock.connect(await _get(channel.endpoint))
    else:
        sock.bind(new_endpoint(job.transport, channel.scratch))
        channel.endpoint.put(sock.last_endpoint.decode())
    frames = await sock.recv_multipart()
    if job.pattern == "PUBSUB":
        channel.ready.put(True)
    while frames[-1] == PROBE:
        frames = await sock.recv_multipart()
    started = time.perf_counter()
    _reset(zmq)
    send, recv, reply = calls(sock, job, [b""])
    copy = job.size < 65536
    if job.pattern == "REQ_REP":  # a REP replies to each request before the next
        await send(reply)  # (to the first one)
        for _ in range(job.count - 1):
            await recv(copy=copy)
            await send(reply)
    else:
        for _ in range(job.count - 1):
            await recv(copy=copy)
    elapsed = time.perf_counter() - started
    channel.received.put(True)
    result = {"throughput": (job.count - 1) / elapsed, "receiver_counters": _snapshot(zmq)}
    sock.close(linger=0)
    return result


async def throughput_sender(
    zmq: ModuleType, ctx: Any, channel: Channel, job: Job
) -> dict[str, Any]:
    kind = SOCKETS[job.pattern][1]
    sock = _socket(zmq, ctx, kind, b"sender", job)
    if job.sender_binds:
        sock.bind(new_endpoint(job.transport, channel.scratch))
        channel.endpoint.put(sock.last_endpoint.decode())
    else:
        sock.connect(await _get(channel.endpoint))
    payload = os.urandom(job.size)
    frames = [b"receiver", payload] if kind == "ROUTER" else [payload]
    if job.pattern == "PUBSUB":
        while not channel.is_ready():
            await sock.send(PROBE)
            await _runtime.sleep(0.001)
    elif kind == "ROUTER":
        await _routable_send(zmq, sock, [b"receiver", PROBE])
    _reset(zmq)
    send, _, message = calls(sock, job, frames)
    copy = job.size < 65536
    if job.pattern == "REQ_REP":  # requests to a REP: a window of them in flight
        request, waiting = [b"", payload], 0
        for _ in range(job.count):
            if waiting == WINDOW:
                await sock.recv_multipart()
                waiting -= 1
            await sock.send_multipart(request, copy=copy)
            waiting += 1
    else:
        for _ in range(job.count):
            await send(message, copy=copy)
    await _get(channel.received)
    result = {"sender_counters": _snapshot(zmq)}
    sock.close(linger=0)
    return result


async def latency_server(zmq: ModuleType, ctx: Any, channel: Channel, job: Job) -> dict[str, Any]:
    kind = SOCKETS[job.pattern][2]
    if kind in ONE_WAY:
        inbound = _socket(zmq, ctx, kind, b"server-in", job)
        outbound = _socket(zmq, ctx, ONE_WAY[kind], b"server-out", job)
        inbound.bind(new_endpoint(job.transport, channel.scratch))
        outbound.bind(new_endpoint(job.transport, channel.scratch))
        channel.endpoint.put((inbound.last_endpoint.decode(), outbound.last_endpoint.decode()))
    else:
        inbound = outbound = _socket(zmq, ctx, kind, b"server", job)
        inbound.bind(new_endpoint(job.transport, channel.scratch))
        channel.endpoint.put(inbound.last_endpoint.decode())
    _, recv, _ = calls(inbound, job, [])
    send, _, _ = calls(outbound, job, [])
    while True:
        message = await recv()
        if is_stop(message):
            break
        await send(message)
    for sock in {id(inbound): inbound, id(outbound): outbound}.values():
        sock.close(linger=0)
    return {}


async def latency_client(zmq: ModuleType, ctx: Any, channel: Channel, job: Job) -> dict[str, Any]:
    payload = os.urandom(job.size)
    endpoint = await _get(channel.endpoint)
    kind = SOCKETS[job.pattern][3]
    frames = [payload]
    if kind in ONE_WAY.values():
        inbound_kind = next(sub for sub, pub in ONE_WAY.items() if pub == kind)
        outbound = _socket(zmq, ctx, kind, b"client-out", job)
        inbound = _socket(zmq, ctx, inbound_kind, b"client-in", job)
        outbound.connect(endpoint[0])
        inbound.connect(endpoint[1])
        if kind == "PUB":
            while True:
                await outbound.send(PROBE)
                if await inbound.poll(10):
                    break
            while await inbound.poll(50):
                await inbound.recv_multipart()
    else:
        inbound = outbound = _socket(zmq, ctx, kind, b"client", job)
        outbound.connect(endpoint)
        if kind == "ROUTER":
            frames = [b"server", payload]
            await _routable_send(zmq, outbound, frames)
            await inbound.recv_multipart()
    send, _, message = calls(outbound, job, frames)
    _, recv, _ = calls(inbound, job, frames)
    for _ in range(WARMUP_ROUND_TRIPS):
        await send(message)
        await recv()
    clock = time.perf_counter_ns
    samples = []
    _reset(zmq)
    for _ in range(job.count):
        started = clock()
        await send(message)
        await recv()
        samples.append((clock() - started) / 2000.0)
    counters = _snapshot(zmq)
    await outbound.send_multipart([*frames[:-1], STOP])
    # The stop must leave; a SUB's subscription must not keep a finished run waiting
    # to reconnect to a server that is gone.
    if inbound is not outbound:
        inbound.close(linger=0)
    outbound.close(linger=-1)
    return {"latency_us": samples, "client_counters": counters}


ROLES = {
    "throughput": (throughput_receiver, throughput_sender),
    "latency": (latency_server, latency_client),
}


@contextlib.asynccontextmanager
async def _context(library: str) -> AsyncIterator[Any]:
    """The library's Context, entered as an async context manager if it is one."""
    ctx = _prepare(library).Context()
    if hasattr(ctx, "__aenter__"):
        async with ctx:
            yield ctx
        return
    try:
        yield ctx
    finally:
        ctx.term()


def run_end(runner: str, role: int, job: Job, channel: Channel) -> dict[str, Any]:
    """One end in its own process, on the ``runner`` event loop."""
    _runtime.runner = runner
    result: dict[str, Any] = _runtime.run(_one_end, role, job, channel)
    return result


def run_both_ends(runner: str, job: Job) -> dict[int, dict[str, Any]]:
    """Both ends as two tasks of one process, one Context."""
    _runtime.runner = runner
    outcome: dict[int, dict[str, Any]] = _runtime.run(_both_ends, job)
    return outcome


async def _one_end(role: int, job: Job, channel: Channel) -> dict[str, Any]:
    zmq = LIBRARIES[job.library].load_constants()
    async with _context(job.library) as ctx:
        result: dict[str, Any] = await ROLES[job.kind][role](zmq, ctx, channel, job)
    return result


async def _both_ends(job: Job) -> dict[int, dict[str, Any]]:
    zmq = LIBRARIES[job.library].load_constants()
    channel = Channel(queue.Queue(), queue.Queue(), queue.Queue())
    outcome: dict[int, dict[str, Any]] = {}
    async with _context(job.library) as ctx:

        async def end(role: int) -> None:
            outcome[role] = await ROLES[job.kind][role](zmq, ctx, channel, job)

        await _runtime.both(lambda: end(0), lambda: end(1))
    return outcome
