"""Python calls per round trip: the work behind our latency, counted by cProfile.

``python -m zmtp_bench.calls`` runs a client (here) and an echo server (in a
second process) over tcp with zmtp_selectors, and counts the function calls
each end makes per round trip while profiled, for both ways of calling:
send_multipart/recv_multipart (DEALER to ROUTER) and send/recv (DEALER to
DEALER, one-frame messages). Blocking waits count too: what a thread does to
wait is part of the cost.
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


#: The server's socket type and the calls of each way of calling.
_APIS = {
    "multipart": ("ROUTER", "send_multipart", "recv_multipart"),
    "frames": ("DEALER", "send", "recv"),
}


def _echo(library: str, api: str, round_trips: int, top: int, channel: Any) -> None:
    zmq = importlib.import_module(library)
    kind, send_name, recv_name = _APIS[api]
    ctx = zmq.Context()
    server = ctx.socket(getattr(zmq, kind))
    server.bind("tcp://127.0.0.1:*")
    channel.put(server.last_endpoint.decode())
    send, recv = getattr(server, send_name), getattr(server, recv_name)
    for _ in range(_WARM_UP):
        send(recv())

    def serve() -> None:
        for _ in range(round_trips):
            send(recv())

    channel.put(_profiled(serve, top))
    server.close()
    ctx.term()


def count_calls(
    round_trips: int = 5000, library: str = "zmtp_selectors", top: int = 0, api: str = "multipart"
) -> dict[str, Any]:
    """Calls per round trip on each end (64-byte messages), and the busiest functions."""
    mp = multiprocessing.get_context("spawn")
    channel: Any = mp.Queue()
    server = mp.Process(target=_echo, args=(library, api, round_trips, top, channel))
    server.start()
    try:
        zmq = importlib.import_module(library)
        ctx = zmq.Context()
        client = ctx.socket(zmq.DEALER)
        client.connect(channel.get(timeout=30))
        _, send_name, recv_name = _APIS[api]
        send, recv = getattr(client, send_name), getattr(client, recv_name)
        message = b"x" * 64 if api == "frames" else [b"x" * 64]
        for _ in range(_WARM_UP):
            send(message)
            recv()

        def ask() -> None:
            for _ in range(round_trips):
                send(message)
                recv()

        client_calls, client_top = _profiled(ask, top)
        server_calls, server_top = channel.get(timeout=60)
        client.close()
        ctx.term()
    finally:
        server.join(timeout=10)
        if server.is_alive():
            server.kill()
    return {
        "client": client_calls / round_trips,
        "server": server_calls / round_trips,
        "both": (client_calls + server_calls) / round_trips,
        "client_top": client_top,
        "server_top": server_top,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m zmtp_bench.calls", description=__doc__)
    parser.add_argument("--round-trips", type=int, default=5000)
    parser.add_argument("--library", default="zmtp_selectors", help="a module with pyzmq's API")
    parser.add_argument("--top", type=int, default=0, help="also list the N most called functions")
    parser.add_argument(
        "--api", default="multipart,frames", help="multipart, frames, or both (comma separated)"
    )
    args = parser.parse_args(argv)
    for api in args.api.split(","):
        counted = count_calls(args.round_trips, args.library, args.top, api)
        kind, send_name, recv_name = _APIS[api]
        print(
            f"{args.library}, DEALER <-> {kind} over tcp, 64 B, {send_name}/{recv_name},"
            " Python calls per round trip:"
        )
        ends = f"client end {counted['client']:.0f}, server end {counted['server']:.0f}"
        print(f"  {ends}, both {counted['both']:.0f}")
        if args.top:
            print(counted["client_top"], counted["server_top"])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
