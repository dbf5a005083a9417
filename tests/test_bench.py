"""The benchmark measures every pattern and transport, for both libraries (tiny counts)."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest

from zmtp_bench._cli import main
from zmtp_bench._libraries import LIBRARIES
from zmtp_bench._workers import Job, run_job
from zmtp_bench.calls import count_calls
from zmtp_bench.floors import measure
from zmtp_bench.percall import measure as measure_calls

from libzmq5 import require_libzmq5, require_libzmq_draft
from peers import require_pyzmq


@pytest.mark.parametrize(
    ("pattern", "transport", "api"),
    [
        ("PAIR", "ipc", "multipart"),
        ("PUBSUB", "tcp", "multipart"),
        ("DEALER_DEALER", "inproc", "multipart"),
        ("ROUTER_ROUTER", "tcp", "multipart"),
        ("DEALER_ROUTER", "inproc", "multipart"),
        ("PUSH_PULL", "tcp", "frames"),
        ("PUBSUB", "inproc", "frames"),
        ("REQ_REP", "ipc", "frames"),
    ],
)
@pytest.mark.parametrize("library", list(LIBRARIES))
def test_each_pattern_and_transport_measures(
    pattern: str, transport: str, api: str, library: str
) -> None:
    require_pyzmq()
    if library == "libzmq5-ctypes":
        require_libzmq5()
    if library == "libzmq-draft-ctypes":
        require_libzmq_draft()
    throughput = run_job(
        Job("throughput", library, pattern, transport, 100, 300, api=api), timeout=60
    )
    assert throughput["throughput"] > 0
    latency = run_job(Job("latency", library, pattern, transport, 100, 20, api=api), timeout=60)
    assert len(latency["latency_us"]) == 20
    if LIBRARIES[library].ours:
        assert throughput["receiver_counters"]["read_bytes_copied"] >= 0


@pytest.mark.parametrize("pattern", ["CLIENT_SERVER", "RADIO_DISH"])
@pytest.mark.parametrize("library", ["zmtp-selectors", "libzmq-draft-ctypes"])
def test_the_draft_patterns_measure_against_the_draft_libzmq(pattern: str, library: str) -> None:
    require_libzmq_draft()
    throughput = run_job(
        Job("throughput", library, pattern, "tcp", 100, 300, api="frames"), timeout=60
    )
    assert throughput["throughput"] > 0
    latency = run_job(Job("latency", library, pattern, "tcp", 100, 20, api="frames"), timeout=60)
    assert len(latency["latency_us"]) == 20


def test_an_ipc_job_leaves_no_socket_file(monkeypatch: pytest.MonkeyPatch) -> None:
    require_pyzmq()
    with tempfile.TemporaryDirectory() as short:  # (tmp_path is too long for an ipc path)
        monkeypatch.setattr(tempfile, "tempdir", short)  # (here and in the workers)
        monkeypatch.setenv("TMPDIR", short)
        for library in ("pyzmq", "zmtp-selectors"):
            run_job(Job("throughput", library, "PAIR", "ipc", 100, 100), timeout=60)
        assert list(Path(short).iterdir()) == []


def test_the_floors_are_measured() -> None:
    floors = measure(200)
    assert len(floors) == 5
    assert all(0 < one_way < 100_000 for one_way in floors.values())


@pytest.mark.parametrize("api", ["multipart", "frames"])
def test_calls_per_round_trip_are_counted_on_both_ends(api: str) -> None:
    counted = count_calls(200, top=5, api=api)
    assert 10 < counted["client"] < 1000 and 10 < counted["server"] < 1000
    assert counted["both"] == pytest.approx(counted["client"] + counted["server"])
    assert "function calls" in counted["client_top"] and "function calls" in counted["server_top"]


def test_one_call_is_timed_for_both_libraries() -> None:
    require_pyzmq()
    costs = measure_calls(calls=300, repeats=1)
    assert {"send()", "recv()", "send_multipart()", "recv_multipart()"} <= set(costs)
    assert all(0 < ours < 1000 and 0 < theirs < 1000 for ours, theirs in costs.values())


@pytest.mark.parametrize("transport", ["tls", "ws", "wss"])
def test_the_layered_transports_measure_ours(transport: str) -> None:
    throughput = run_job(Job("throughput", "zmtp-selectors", "DEALER_ROUTER", transport, 100, 300))
    assert throughput["throughput"] > 0
    latency = run_job(Job("latency", "zmtp-anyio", "PUBSUB", transport, 100, 20), timeout=60)
    assert len(latency["latency_us"]) == 20


@pytest.mark.parametrize("sender_binds", [False, True])
def test_ws_measures_against_debians_libzmq_both_ways(sender_binds: bool) -> None:
    require_libzmq5()
    for library in ("libzmq5-ctypes", "zmtp-selectors"):
        job = Job("throughput", library, "DEALER_ROUTER", "ws", 100, 300, sender_binds=sender_binds)
        assert run_job(job)["throughput"] > 0


def test_the_command_writes_markdown_json_and_counters(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    require_pyzmq()
    code = main(
        [
            "--backends",
            "selectors,anyio",
            "--patterns",
            "DEALER_ROUTER",
            "--transports",
            "tcp",
            "--sizes",
            "64",
            "--runs",
            "2",
            "--count",
            "500",
            "--round-trips",
            "20",
            "--output",
            str(tmp_path),
        ]
    )
    assert code == 0
    table = (tmp_path / "results.md").read_text()
    assert "| Size (B) | Metric | pyzmq | zmtp-selectors | ratio |" in table
    assert "| Size (B) | Metric | zmq-anyio | zmtp-anyio | ratio |" in table
    assert "| 64 | msg/s |" in table and "| 64 | latency p50 (us) |" in table
    assert "bytes copied on write" in table
    document = json.loads((tmp_path / "results.json").read_text())
    libraries = [s["job"]["library"] for s in document["samples"]]
    # Interleaved: 2 metrics x 2 runs, each run every backend then its baseline.
    assert libraries == ["zmtp-selectors", "pyzmq", "zmtp-anyio", "zmq-anyio"] * 4
    assert "| Size (B)" in capsys.readouterr().out


def test_the_default_run_shows_pub_sub_and_inproc() -> None:
    from zmtp_bench._cli import parse  # noqa: PLC0415

    defaults = parse([])
    assert "PUBSUB" in defaults.patterns and "DEALER_ROUTER" in defaults.patterns
    assert "PUSH_PULL" in defaults.patterns
    assert defaults.api == ["multipart", "frames"]  # what users call is measured too
    assert "inproc" in defaults.transports and "tcp" in defaults.transports


def test_the_frames_api_has_tables_of_its_own(tmp_path: Path) -> None:
    require_pyzmq()
    args = ["--patterns", "PUSH_PULL,DEALER_ROUTER,REQ_REP", "--transports", "tcp"]
    args += ["--sizes", "64", "--runs", "1", "--count", "300", "--round-trips", "20"]
    assert main([*args, "--output", str(tmp_path)]) == 0
    table = (tmp_path / "results.md").read_text()
    assert "### PUSH_PULL send/recv over tcp: zmtp-selectors vs pyzmq" in table
    assert "### PUSH_PULL over tcp: zmtp-selectors vs pyzmq" in table
    assert "### REQ_REP send/recv over tcp" in table
    assert "DEALER_ROUTER send/recv" not in table  # (its messages are not one frame)
    document = json.loads((tmp_path / "results.json").read_text())
    req_rep = {s["job"]["kind"] for s in document["samples"] if s["job"]["pattern"] == "REQ_REP"}
    assert req_rep == {"latency", "throughput"}


def test_a_curve_run_encrypts_both_libraries(tmp_path: Path) -> None:
    pytest.importorskip("nacl")
    require_pyzmq()
    args = ["--patterns", "DEALER_ROUTER", "--transports", "tcp", "--sizes", "64"]
    args += ["--runs", "1", "--count", "300", "--round-trips", "20", "--mechanism", "curve"]
    assert main([*args, "--output", str(tmp_path)]) == 0
    table = (tmp_path / "results.md").read_text()
    assert "Every connection uses CURVE." in table and "| 64 | msg/s |" in table
    document = json.loads((tmp_path / "results.json").read_text())
    assert {s["job"]["mechanism"] for s in document["samples"]} == {"curve"}
