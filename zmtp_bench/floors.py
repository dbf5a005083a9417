"""What Python itself costs: the floors under our latency.

``python -m zmtp_bench.floors`` measures, one way, median of the round trips:

- a plain TCP ping-pong between two processes (blocking sockets, and with an
  epoll wait before each read, as a reactor does), the floor for tcp latency;
- a ping-pong between two threads of one process, woken by a lock, a condition
  variable, and a socketpair: the floor for inproc latency between threads.

No ZeroMQ is involved: what a library adds comes on top of these.
"""

from __future__ import annotations

import argparse
import multiprocessing
import select
import socket
import statistics
import threading
import time
from collections.abc import Callable
from contextlib import ExitStack

__all__ = ["main", "measure"]

_MESSAGE = b"x" * 66  # a 64-byte ZMTP frame with its header


def _one_way_us(round_trip: Callable[[], None], count: int) -> float:
    """The median of ``count`` round trips, halved, in microseconds."""
    for _ in range(min(count, 1000)):  # warm up
        round_trip()
    samples = []
    clock = time.perf_counter
    for _ in range(count):
        started = clock()
        round_trip()
        samples.append(clock() - started)
    return statistics.median(samples) / 2 * 1e6


def _echo(port: multiprocessing.SimpleQueue[int]) -> None:
    with socket.create_server(("127.0.0.1", 0)) as server:
        port.put(server.getsockname()[1])
        peer, _ = server.accept()
    with peer:
        peer.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        buffer = bytearray(65536)
        while received := peer.recv_into(buffer):
            peer.sendall(memoryview(buffer)[:received])


def _tcp(count: int, with_epoll: bool) -> float:
    context = multiprocessing.get_context("spawn")
    port: multiprocessing.SimpleQueue[int] = context.SimpleQueue()
    echo = context.Process(target=_echo, args=(port,))
    echo.start()
    try:
        with socket.create_connection(("127.0.0.1", port.get())) as conn:
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            buffer = bytearray(65536)
            poller = select.epoll()
            poller.register(conn.fileno(), select.EPOLLIN)

            def round_trip() -> None:
                conn.sendall(_MESSAGE)
                if with_epoll:
                    poller.poll()
                conn.recv_into(buffer)

            try:
                return _one_way_us(round_trip, count)
            finally:
                poller.close()
    finally:
        echo.join(timeout=10)


Wake = tuple[Callable[[], None], Callable[[], None]]  # (signal, wait)


def _threads(count: int, make: Callable[[ExitStack], Wake]) -> float:
    """Two threads taking turns, each woken by one ``make()``."""
    with ExitStack() as resources:
        (ping, wait_for_ping), (pong, wait_for_pong) = make(resources), make(resources)
        total = count + min(count, 1000)

        def other() -> None:
            for _ in range(total):
                wait_for_ping()
                pong()

        def round_trip() -> None:
            ping()
            wait_for_pong()

        thread = threading.Thread(target=other)
        thread.start()
        try:
            return _one_way_us(round_trip, count)
        finally:
            thread.join(timeout=10)


def _lock(_: ExitStack) -> Wake:
    lock = threading.Lock()
    lock.acquire()

    def wait() -> None:
        lock.acquire()

    return lock.release, wait


def _condition(_: ExitStack) -> Wake:
    condition, pending = threading.Condition(), [0]

    def signal() -> None:
        with condition:
            pending[0] += 1
            condition.notify()

    def wait() -> None:
        with condition:
            condition.wait_for(lambda: pending[0])
            pending[0] -= 1

    return signal, wait


def _socketpair(resources: ExitStack) -> Wake:
    reader, writer = map(resources.enter_context, socket.socketpair())

    def signal() -> None:
        writer.send(b"x")

    def wait() -> None:
        reader.recv(1)

    return signal, wait


def measure(count: int) -> dict[str, float]:
    """Every floor, one-way microseconds."""
    return {
        "tcp, two processes, blocking": _tcp(count, with_epoll=False),
        "tcp, two processes, epoll before each read": _tcp(count, with_epoll=True),
        "threads woken by a lock": _threads(count, _lock),
        "threads woken by a condition variable": _threads(count, _condition),
        "threads woken through a socketpair": _threads(count, _socketpair),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m zmtp_bench.floors", description=__doc__)
    parser.add_argument("--round-trips", type=int, default=20000)
    args = parser.parse_args(argv)
    for name, one_way in measure(args.round_trips).items():
        print(f"{name:<45} {one_way:6.1f} us one way (p50)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
