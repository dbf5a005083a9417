"""The cost of one call, in one thread, when no waiting is involved.

``python -m zmtp_bench.percall`` times ``send()`` on a PUB with no peer (the
message is dropped: the call's own cost) and ``recv()`` of a message that waits
already (a PUSH filled a PULL over inproc beforehand), and the multipart calls
the same way; then ``send()`` on a PUB whose one subscriber holds 10,000
topics that the message matches none of (the cost of matching). zmtp and pyzmq
in one process, interleaved; medians of the repeats, in microseconds per call.
"""

from __future__ import annotations

import argparse
import importlib
import statistics
import time
from collections.abc import Callable
from typing import Any

__all__ = ["main", "measure"]

_SIZE = 64


def _send_cost(zmq: Any, calls: int, multipart: bool) -> float:
    ctx = zmq.Context()
    pub = ctx.socket(zmq.PUB)
    pub.bind("tcp://127.0.0.1:*")
    try:
        body = b"x" * _SIZE
        send, message = (pub.send_multipart, [body]) if multipart else (pub.send, body)
        started = time.perf_counter()
        for _ in range(calls):
            send(message)
        return (time.perf_counter() - started) / calls * 1e6
    finally:
        pub.close(linger=0)
        ctx.term()


def _recv_cost(zmq: Any, calls: int, multipart: bool) -> float:
    ctx = zmq.Context()
    pull, push = ctx.socket(zmq.PULL), ctx.socket(zmq.PUSH)
    pull.rcvhwm = push.sndhwm = 0
    pull.bind("inproc://zmtp-bench-percall")
    push.connect("inproc://zmtp-bench-percall")
    try:
        body = b"x" * _SIZE
        for _ in range(calls):
            push.send(body)
        recv = pull.recv_multipart if multipart else pull.recv
        recv()  # (the first one may still be on its way)
        started = time.perf_counter()
        for _ in range(calls - 1):
            recv()
        return (time.perf_counter() - started) / (calls - 1) * 1e6
    finally:
        push.close(linger=0)
        pull.close(linger=0)
        ctx.term()


def _matching_cost(zmq: Any, calls: int) -> float:
    ctx = zmq.Context()
    pub, sub = ctx.socket(zmq.PUB), ctx.socket(zmq.SUB)
    pub.rcvhwm = sub.sndhwm = 0  # (libzmq drops subscriptions beyond the HWM)
    pub.bind("tcp://127.0.0.1:*")
    sub.connect(pub.last_endpoint)
    try:
        stem = b"market.data.feed.europe.equities.".ljust(54, b"-")
        for number in range(TOPICS):
            sub.subscribe(stem + b"%010d" % number)
        sub.subscribe(b"probe")  # (the last: once it works, so do all before it)
        deadline = time.monotonic() + 60
        while not sub.poll(0):
            if time.monotonic() > deadline:
                raise TimeoutError("the subscriptions did not arrive")
            pub.send(b"probe")
            time.sleep(0.001)
        body = b"x" * _SIZE
        started = time.perf_counter()
        for _ in range(calls):
            pub.send(body)
        return (time.perf_counter() - started) / calls * 1e6
    finally:
        sub.close(linger=0)
        pub.close(linger=0)
        ctx.term()


#: Topics the subscriber of the matching measurement holds.
TOPICS = 10_000

_MEASURES: dict[str, Callable[[Any, int], float]] = {
    "send()": lambda zmq, n: _send_cost(zmq, n, multipart=False),
    "recv()": lambda zmq, n: _recv_cost(zmq, n, multipart=False),
    "send_multipart()": lambda zmq, n: _send_cost(zmq, n, multipart=True),
    "recv_multipart()": lambda zmq, n: _recv_cost(zmq, n, multipart=True),
    f"PUB send(), {TOPICS:,} topics, none matching": _matching_cost,
}


def measure(
    library: str = "zmtp_selectors", baseline: str = "zmq", calls: int = 50_000, repeats: int = 5
) -> dict[str, tuple[float, float]]:
    """Per call: (ours, baseline) medians in microseconds, by call name."""
    ours, theirs = importlib.import_module(library), importlib.import_module(baseline)
    samples: dict[str, tuple[list[float], list[float]]] = {n: ([], []) for n in _MEASURES}
    for _ in range(repeats):
        for name, cost in _MEASURES.items():
            samples[name][0].append(cost(ours, calls))
            samples[name][1].append(cost(theirs, calls))
    return {n: (statistics.median(a), statistics.median(b)) for n, (a, b) in samples.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m zmtp_bench.percall", description=__doc__)
    parser.add_argument("--library", default="zmtp_selectors")
    parser.add_argument("--calls", type=int, default=50_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    results = measure(args.library, "zmq", args.calls, args.repeats)
    print(f"| call ({_SIZE} B) | pyzmq (us) | {args.library} (us) | ratio |")
    print("|---|---:|---:|---:|")
    for name, (ours, theirs) in results.items():
        print(f"| {name} | {theirs:.2f} | {ours:.2f} | {ours / theirs:.2f}x |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
