"""Python calls per round trip: the work behind our latency, counted by cProfile.

``python -m zmtp_bench.calls`` runs a DEALER (here) and a ROUTER echo (in a
second process) over tcp with zmtp_selectors, and counts the function calls
each end makes per round trip while profiled. Blocking waits count too: what a
thread does to wait is part of the cost.
"""

from __future__ import annotations

import argparse
import cProfile
import importlib
import io
import multiprocessing
import pstats
from typing import Any

__all__ = ["count_calls", "main"]

_WARM_UP = 500


def _profiled(run: Any, top: int) -> tuple[int, str]:
    """Run ``run()`` under cProfile: its call count, and its busiest functions."""
    profile = cProfile.Profile()
    profile.enable()
    run()
    profile.disable()
    report = io.StringIO()
    stats = pstats.Stats(profile, stream=report)
    if top:
        stats.sort_stats("ncalls").print_stats(top)
    return stats.total_calls, report.getvalue()  # type: ignore[attr-defined]


def _echo(library: str, round_trips: int, top: int, channel: Any) -> None:
    zmq = importlib.import_module(library)
    ctx = zmq.Context()
    router = ctx.socket(zmq.ROUTER)
    router.bind("tcp://127.0.0.1:*")
    channel.put(router.last_endpoint.decode())
    for _ in range(_WARM_UP):
        router.send_multipart(router.recv_multipart())

    def serve() -> None:
        for _ in range(round_trips):
            router.send_multipart(router.recv_multipart())

    channel.put(_profiled(serve, top))
    router.close()
    ctx.term()


def count_calls(
    round_trips: int = 5000, library: str = "zmtp_selectors", top: int = 0
) -> dict[str, Any]:
    """Calls per round trip on each end (64-byte messages), and the busiest functions."""
    mp = multiprocessing.get_context("spawn")
    channel: Any = mp.Queue()
    server = mp.Process(target=_echo, args=(library, round_trips, top, channel))
    server.start()
    try:
        zmq = importlib.import_module(library)
        ctx = zmq.Context()
        dealer = ctx.socket(zmq.DEALER)
        dealer.connect(channel.get(timeout=30))
        message = [b"x" * 64]
        for _ in range(_WARM_UP):
            dealer.send_multipart(message)
            dealer.recv_multipart()

        def ask() -> None:
            for _ in range(round_trips):
                dealer.send_multipart(message)
                dealer.recv_multipart()

        client_calls, client_top = _profiled(ask, top)
        server_calls, server_top = channel.get(timeout=60)
        dealer.close()
        ctx.term()
    finally:
        server.join(timeout=10)
        if server.is_alive():
            server.kill()
    return {
        "dealer": client_calls / round_trips,
        "router": server_calls / round_trips,
        "both": (client_calls + server_calls) / round_trips,
        "dealer_top": client_top,
        "router_top": server_top,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m zmtp_bench.calls", description=__doc__)
    parser.add_argument("--round-trips", type=int, default=5000)
    parser.add_argument("--library", default="zmtp_selectors", help="a module with pyzmq's API")
    parser.add_argument("--top", type=int, default=0, help="also list the N most called functions")
    args = parser.parse_args(argv)
    counted = count_calls(args.round_trips, args.library, args.top)
    print(f"{args.library}, DEALER <-> ROUTER over tcp, 64 B, Python calls per round trip:")
    ends = f"DEALER end {counted['dealer']:.0f}, ROUTER end {counted['router']:.0f}"
    print(f"  {ends}, both {counted['both']:.0f}")
    if args.top:
        print(counted["dealer_top"], counted["router_top"])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
