"""Results: medians with spread, the Markdown table, JSON, and a chart."""

from __future__ import annotations

import json
import platform
import statistics
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from zmtp_bench._workers import Job

__all__ = ["Sample", "chart", "markdown", "write_json"]


@dataclass
class Sample:
    """One run of one job."""

    job: Job
    run: int
    result: dict[str, Any] = field(default_factory=dict)

    @property
    def values(self) -> dict[str, float]:
        """The metrics this run measured, by name."""
        if self.job.kind == "throughput":
            rate = self.result["throughput"]
            return {"msg/s": rate, "MB/s": rate * self.job.size / 1e6}
        latency = sorted(self.result["latency_us"])
        return {
            "latency mean (us)": statistics.fmean(latency),
            "latency p50 (us)": latency[len(latency) // 2],
            "latency p99 (us)": latency[min(len(latency) - 1, int(len(latency) * 0.99))],
        }


def _median_spread(values: list[float]) -> tuple[float, float]:
    median = statistics.median(values)
    spread = (max(values) - min(values)) / 2 / median * 100 if median else 0.0
    return median, spread


def _number(value: float) -> str:
    if value >= 100_000:
        return f"{value / 1000:,.0f}k"
    if value >= 100:
        return f"{value:,.0f}"
    return f"{value:.1f}"


def _grouped(
    samples: Iterable[Sample],
) -> dict[tuple[str, str, int, str], dict[str, dict[str, list[float]]]]:
    """(pattern, transport, size, kind) -> library -> metric -> values over runs."""
    groups: dict[tuple[str, str, int, str], dict[str, dict[str, list[float]]]] = {}
    for sample in samples:
        key = (sample.job.label, sample.job.transport, sample.job.size, sample.job.kind)
        per_library = groups.setdefault(key, {}).setdefault(sample.job.library, {})
        for metric, value in sample.values.items():
            per_library.setdefault(metric, []).append(value)
    return groups


def markdown(samples: list[Sample], pairs: list[tuple[str, str]], runs: int) -> str:
    """Size | Metric | baseline | zmtp | ratio, one table per pattern and transport."""
    lines = [
        f"Medians of {runs} interleaved runs; ±: half the spread between the fastest and the "
        "slowest run. ratio = zmtp / baseline: above 1 is better for throughput, below 1 "
        "for latency.",
        "",
    ]
    mechanisms = sorted({sample.job.mechanism for sample in samples} - {"null"})
    if mechanisms:
        lines[1:1] = ["", f"Every connection uses {', '.join(mechanisms).upper()}."]
    groups = _grouped(samples)
    sections = sorted({(k[0], k[1]) for k in groups})
    for ours, baseline in pairs:
        for pattern, transport in sections:
            rows = []
            for (p, t, size, _kind), per_library in sorted(groups.items()):
                if (p, t) != (pattern, transport) or ours not in per_library:
                    continue
                for metric in per_library[ours]:
                    mine, my_spread = _median_spread(per_library[ours][metric])
                    if baseline in per_library:
                        theirs, their_spread = _median_spread(per_library[baseline][metric])
                        base = f"{_number(theirs)} ±{their_spread:.0f}%"
                        ratio = f"{mine / theirs:.2f}x" if theirs else "-"
                    else:
                        base, ratio = "-", "-"
                    ours_cell = f"{_number(mine)} ±{my_spread:.0f}%"
                    rows.append(f"| {size} | {metric} | {base} | {ours_cell} | {ratio} |")
            if rows:
                lines += [
                    f"### {pattern} over {transport}: {ours} vs {baseline}",
                    "",
                    f"| Size (B) | Metric | {baseline} | {ours} | ratio |",
                    "|---:|---|---:|---:|---:|",
                    *rows,
                    "",
                ]
    lines += _counter_table(samples)
    return "\n".join(lines)


def _counter_table(samples: list[Sample]) -> list[str]:
    """What zmtp's I/O did per message, so a regression is explained, not just seen."""
    rows: dict[tuple[str, str, str, int], list[list[float]]] = {}
    for sample in samples:
        if sample.job.kind != "throughput":
            continue
        sender = sample.result.get("sender_counters")
        receiver = sample.result.get("receiver_counters")
        if not sender or not receiver:
            continue
        count = max(1, sample.job.count - 1)
        key = (sample.job.library, sample.job.label, sample.job.transport, sample.job.size)
        rows.setdefault(key, []).append(
            [
                sender["bytes_copied"] / count,
                sender["write_count"] / count,
                receiver["read_bytes_copied"] / count,
                receiver["read_count"] / count,
                float(receiver["compaction_count"]),
            ]
        )
    if not rows:
        return []
    lines = [
        "### What zmtp's I/O did, per message (throughput runs, medians)",
        "",
        "| Library | Pattern | Transport | Size (B) | bytes copied on write | sendmsg calls "
        "| bytes copied on read | recv calls | compactions per run |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for (library, pattern, transport, size), values in sorted(rows.items()):
        medians = [statistics.median(column) for column in zip(*values, strict=True)]
        lines.append(
            f"| {library} | {pattern} | {transport} | {size} | {medians[0]:.1f} | {medians[1]:.3f} "
            f"| {medians[2]:.1f} | {medians[3]:.3f} | {medians[4]:.0f} |"
        )
    return [*lines, ""]


def write_json(path: Path, samples: list[Sample], settings: dict[str, Any]) -> None:
    """Every sample, with the machine it ran on."""
    document = {
        "settings": settings,
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "processor": platform.processor(),
        },
        "samples": [{"job": asdict(s.job), "run": s.run, "result": s.result} for s in samples],
    }
    path.write_text(json.dumps(document, indent=1))


def chart(path: Path, samples: list[Sample]) -> bool:
    """Throughput and latency against size, one line per library; False without matplotlib."""
    try:
        import matplotlib  # noqa: PLC0415

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt  # noqa: PLC0415
    except ImportError:
        return False
    groups = _grouped(samples)
    figure, (left, right) = plt.subplots(1, 2, figsize=(12, 4.5))
    series: dict[tuple[str, str, str, str], dict[int, float]] = {}
    for (pattern, transport, size, _kind), per_library in groups.items():
        for library, metrics in per_library.items():
            for metric, values in metrics.items():
                if metric in ("msg/s", "latency p50 (us)"):
                    key = (library, pattern, transport, metric)
                    series.setdefault(key, {})[size] = statistics.median(values)
    for (library, pattern, transport, metric), points in sorted(series.items()):
        axis = left if metric == "msg/s" else right
        sizes = sorted(points)
        axis.plot(
            sizes, [points[s] for s in sizes], marker="o", label=f"{library} {pattern} {transport}"
        )
    for axis, title, unit in (
        (left, "Throughput", "messages/s"),
        (right, "One-way latency p50", "us"),
    ):
        axis.set_xscale("log", base=2)
        axis.set_yscale("log")
        axis.set_xlabel("message size (bytes)")
        axis.set_ylabel(unit)
        axis.set_title(title)
        axis.grid(True, which="both", alpha=0.3)
        axis.legend(fontsize=7)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return True
