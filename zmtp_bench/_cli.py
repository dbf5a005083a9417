"""``zmtp-bench``: choose what to measure, run it interleaved, write the report."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from zmtp_bench._libraries import BASELINES, LIBRARIES
from zmtp_bench._report import Sample, chart, markdown, write_json
from zmtp_bench._workers import DRAFT_PATTERNS, FRAME_PATTERNS, OURS_ONLY, SOCKETS, Job, run_job

__all__ = ["main"]

PATTERNS = list(SOCKETS)
APIS = ["multipart", "frames"]
TRANSPORTS = ["tcp", "ipc", "inproc", "tls", "ws", "wss"]
SIZES = [64, 256, 1024, 65536, 131072, 262144]
DEFAULT_SIZES = [64, 1024, 65536]


def _choice(value: str, allowed: list[str]) -> list[str]:
    items = allowed if value == "all" else [v.strip() for v in value.split(",") if v.strip()]
    unknown = [item for item in items if item not in allowed]
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown {unknown}; choose from {allowed} or 'all'")
    return items


def _sizes(value: str) -> list[int]:
    if value == "all":
        return SIZES
    try:
        return [int(size) for size in value.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"sizes are integers: {value!r}") from None


def throughput_count(size: int) -> int:
    """Enough messages for a steady rate, few enough for a minute-long default run."""
    if size <= 1024:
        return 100_000
    return 10_000 if size <= 65536 else 4000


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="zmtp-bench",
        description="zmtp against pyzmq (libzmq), side by side, medians of interleaved runs.",
    )
    parser.add_argument(
        "--backends",
        default="selectors",
        type=lambda v: _choice(v, list(BASELINES)),
        help=f"comma separated, or 'all': {', '.join(BASELINES)} (each against its baseline)",
    )
    parser.add_argument(
        "--patterns",
        default="DEALER_ROUTER,PUBSUB,PUSH_PULL",
        type=lambda v: _choice(v, PATTERNS),
        help=f"comma separated, or 'all': {', '.join(PATTERNS)} (REQ_REP throughput: a "
        "DEALER keeps 100 requests in flight to a REP; CLIENT_SERVER and RADIO_DISH: "
        "send/recv, with --backends libzmq-draft)",
    )
    parser.add_argument(
        "--api",
        default="multipart,frames",
        type=lambda v: _choice(v, APIS),
        help="the calls measured: send_multipart/recv_multipart ('multipart') and "
        "send/recv ('frames': for the patterns whose messages are one frame, "
        f"{', '.join(FRAME_PATTERNS)})",
    )
    parser.add_argument(
        "--transports",
        default="tcp,inproc",
        type=lambda v: _choice(v, TRANSPORTS),
        help=f"comma separated, or 'all': {', '.join(TRANSPORTS)} (tls, ws, wss: zmtp only)",
    )
    parser.add_argument(
        "--sizes",
        default=",".join(map(str, DEFAULT_SIZES)),
        type=_sizes,
        help="bytes, comma separated, or 'all' (64,256,1024,65536,131072,262144)",
    )
    parser.add_argument(
        "--metrics",
        default="throughput,latency",
        type=lambda v: _choice(v, ["throughput", "latency"]),
    )
    parser.add_argument(
        "--runs", type=int, default=3, help="runs per library (the median is reported)"
    )
    parser.add_argument(
        "--count", type=int, default=0, help="throughput messages per run (default by size)"
    )
    parser.add_argument(
        "--round-trips", type=int, default=2000, help="measured latency round trips"
    )
    parser.add_argument(
        "--mechanism",
        default="null",
        choices=["null", "curve"],
        help="security on every connection (curve: both libraries encrypt with libsodium)",
    )
    parser.add_argument(
        "--sender-binds",
        action="store_true",
        help="throughput with the sender bound and the receiver connecting (usually the "
        "receiver binds; over ws this measures the server sending)",
    )
    parser.add_argument("--output", type=Path, default=Path("bench-results"))
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    if args.sender_binds and args.mechanism == "curve":
        raise SystemExit("--sender-binds: the CURVE server is the receiver; use one or the other")
    pairs = [BASELINES[name] for name in args.backends]
    # Each library once per round, even when it is one pair's ours and another's baseline.
    libraries = list(dict.fromkeys(library for pair in pairs for library in pair))
    # Interleaved: for each measurement, run after run, ours then its baseline.
    jobs = [
        Job(
            kind,
            library,
            pattern,
            transport,
            size,
            _count(args, kind, size),
            args.mechanism,
            api,
            args.sender_binds,
        )
        for pattern in args.patterns
        for api in args.api
        for transport in args.transports
        for size in args.sizes
        for kind in args.metrics
        for _ in range(args.runs)
        for library in libraries
        if (
            transport not in OURS_ONLY
            or LIBRARIES[library].ours
            or transport in LIBRARIES[library].layered
        )
        and (api == "multipart" or pattern in FRAME_PATTERNS)
        and (pattern not in DRAFT_PATTERNS or (api == "frames" and LIBRARIES[library].drafts))
    ]
    samples: list[Sample] = []
    failures: list[str] = []
    started = time.monotonic()
    for index, job in enumerate(jobs):
        run = sum(1 for s in samples if s.job == job)
        _progress(index, len(jobs), job, f"{run + 1}/{args.runs}", started)
        result = _run_with_retry(job, failures)
        if result is not None:
            samples.append(Sample(job, run, result))
    _progress(len(jobs), len(jobs), None, "", started)
    args.output.mkdir(parents=True, exist_ok=True)
    table = markdown(samples, pairs, args.runs)
    if failures:
        table += "\n\n### Runs that failed (left out of the medians)\n\n" + "\n".join(
            f"- {failure}" for failure in failures
        )
    (args.output / "results.md").write_text(table + "\n")
    settings = {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()}
    write_json(args.output / "results.json", samples, settings)
    drew = chart(args.output / "results.png", samples)
    print(table)
    print(
        f"\nwritten: {args.output / 'results.md'}, {args.output / 'results.json'}"
        + (
            f", {args.output / 'results.png'}"
            if drew
            else " (no chart: matplotlib is not installed)"
        )
    )
    return 0


def _run_with_retry(job: Job, failures: list[str]) -> dict[str, Any] | None:
    """One run; a run that fails or hangs is tried once more, then reported, not fatal."""
    for attempt in (1, 2):
        try:
            return run_job(job)
        except RuntimeError as error:
            failures.append(f"attempt {attempt}: {error}")
    return None


def _count(args: argparse.Namespace, kind: str, size: int) -> int:
    if kind == "latency":
        return int(args.round_trips)
    return int(args.count) or throughput_count(size)


def _progress(done: int, total: int, job: Job | None, run: str, started: float) -> None:
    width = 30
    filled = width * done // max(total, 1)
    bar = "#" * filled + "-" * (width - filled)
    elapsed = time.monotonic() - started
    what = "done"
    if job is not None:
        library = LIBRARIES[job.library].name
        what = f"{job.label} {job.transport} {job.size} B {job.kind} {library} run {run}"
    sys.stderr.write(f"\r[{bar}] {done}/{total} {elapsed:5.0f}s  {what:<70}")
    if job is None:
        sys.stderr.write("\n")
    sys.stderr.flush()
