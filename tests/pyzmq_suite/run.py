#!/usr/bin/env python3
"""pyzmq's own test suite, run on pyzmq and on zmtp: a ratchet on compatibility.

    python tests/pyzmq_suite/run.py [--files test_auth.py ...] [--raise-floor]

Downloads pyzmq's sdist with pip (its tests are never copied into this
repository), extracts its ``tests/`` into ``build/pyzmq-suite/``, and runs it
file by file twice: once with ``import zmq`` giving pyzmq, once giving zmtp
through the documented launcher (``PYTHONPATH`` from ``python -m zmtp_compat
--env``). The score is the share of the tests that pass on pyzmq which also
pass on zmtp, leaving out the tests of pyzmq's private internals listed in
``excluded.txt``. It fails when the score falls below ``floor.txt``; the floor
only goes up (``--raise-floor`` writes the score measured when it is higher).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tarfile
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from zmtp_compat import SHIM_DIR

PYZMQ_VERSION = "27.3.0"
HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
WORK = ROOT / "build" / "pyzmq-suite"
SUITE = WORK / f"pyzmq-{PYZMQ_VERSION}"
EXCLUDED = HERE / "excluded.txt"
FLOOR = HERE / "floor.txt"
#: A test slower than this fails (pytest-timeout, and pyzmq's own alarm); a file
#: slower than FILE_TIMEOUT is killed, and resumed after the test it was running.
TEST_TIMEOUT = 20
FILE_TIMEOUT = 300
RESUMES = 3


#: Patches of the suite's helpers, the same text for both runs (test bodies are never
#: edited): an import of pyzmq's internals at the top of a test module made tolerant
#: (pyzmq's zero-copy garbage-collector thread has no counterpart here, and the tests
#: of that thread's references are excluded), and the conftest's reading of
#: ZMQ_TEST_TIMEOUT, which hands SIGALRM a string (pyzmq's test classes read it as an
#: int): the runner sets it, so that a hung test costs TEST_TIMEOUT, not 60 s.
PATCHES = {
    "tests/conftest.py": (
        'test_timeout_seconds = os.environ.get("ZMQ_TEST_TIMEOUT")\n',
        'test_timeout_seconds = int(os.environ.get("ZMQ_TEST_TIMEOUT") or 0)\n',
    ),
    "tests/test_message.py": (
        "from zmq.utils.garbage import gc as zmq_gc\n",
        "try:\n"
        "    from zmq.utils.garbage import gc as zmq_gc\n"
        "except ImportError:  # (patched by zmtp's runner: no zero-copy GC thread)\n"
        "    import types\n\n"
        "    zmq_gc = types.SimpleNamespace(refs={})\n",
    ),
}


@dataclass(frozen=True, slots=True)
class Outcome:
    outcome: str
    reason: str


def fetch() -> Path:
    """pyzmq's sdist, unpacked once into the ignored build folder (tests and pytest.ini)."""
    if (SUITE / "tests" / "conftest.py").exists():
        return SUITE
    WORK.mkdir(parents=True, exist_ok=True)
    sdist = WORK / f"pyzmq-{PYZMQ_VERSION}.tar.gz"
    if not sdist.exists():
        pip = [sys.executable, "-m", "pip", "download", "--disable-pip-version-check", "-q"]
        pip += ["--no-binary", ":all:", "--no-deps", "-d", str(WORK), f"pyzmq=={PYZMQ_VERSION}"]
        subprocess.run(pip, check=True)
    prefix = f"pyzmq-{PYZMQ_VERSION}/"
    with tarfile.open(sdist) as tar:
        wanted = [
            member
            for member in tar.getmembers()
            if member.name.startswith(prefix + "tests/") or member.name == prefix + "pytest.ini"
        ]
        tar.extractall(WORK, members=wanted, filter="data")
    for name, (original, patched) in PATCHES.items():
        path = SUITE / name
        text = path.read_text(encoding="utf-8")
        if original not in text:
            raise SystemExit(f"{name} changed: the patch of its imports no longer applies")
        path.write_text(text.replace(original, patched), encoding="utf-8")
    return SUITE


def run_file(suite: Path, test_file: str, side: str) -> dict[str, Outcome]:
    """Run one of pyzmq's test files in a fresh interpreter; zmq is pyzmq or zmtp by `side`.

    A test that hangs past pytest's reach (its file killed after FILE_TIMEOUT) or
    crashes the interpreter fails alone: the file resumes after it, up to RESUMES times.
    """
    out = WORK / "outcomes" / side / f"{test_file}.jsonl"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.unlink(missing_ok=True)
    env = dict(os.environ, ZMTP_OUTCOMES=str(out), PYTHONDONTWRITEBYTECODE="1")
    env["ZMQ_TEST_TIMEOUT"] = str(TEST_TIMEOUT)  # (pyzmq's own alarm, see PATCHES)
    paths = [str(HERE)]
    if side == "zmtp":
        paths.insert(0, str(SHIM_DIR))
    env["PYTHONPATH"] = os.pathsep.join(paths)
    argv = [sys.executable, "-m", "pytest", f"tests/{test_file}", "-q", "-p", "_outcomes"]
    argv += ["-p", "no:cacheprovider", f"--timeout={TEST_TIMEOUT}", "--no-header", "-rN"]
    outcomes: dict[str, Outcome] = {}
    for _ in range(1 + RESUMES):
        done = [f"--deselect={nodeid}" for nodeid in outcomes]
        ended = _run_pytest(argv + done, suite, env)
        if out.exists():
            for line in out.read_text(encoding="utf-8").splitlines():
                record = json.loads(line)
                outcomes[record["nodeid"]] = Outcome(record["outcome"], record["reason"])
        unfinished = [nodeid for nodeid, result in outcomes.items() if result.outcome == "started"]
        for nodeid in unfinished:
            outcomes[nodeid] = Outcome("failed", f"still running when its file ended ({ended})")
        if not unfinished:
            break
    return outcomes


def _run_pytest(argv: list[str], suite: Path, env: dict[str, str]) -> str:
    """Run pytest to its end, or kill it (with what it started) after FILE_TIMEOUT."""
    with subprocess.Popen(
        argv,
        cwd=suite,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    ) as process:
        try:
            process.wait(FILE_TIMEOUT)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            return f"killed after {FILE_TIMEOUT} s"
    return f"exit status {process.returncode}"


def run_side(suite: Path, files: list[str], side: str) -> list[tuple[dict[str, Outcome], float]]:
    """Each file's outcomes on one side, with the seconds it took."""
    results = []
    for test_file in files:
        began = time.monotonic()
        results.append((run_file(suite, test_file, side), time.monotonic() - began))
    return results


def read_excluded() -> dict[str, str]:
    """Node ids (or their prefixes) left out of the score, each with its reason."""
    excluded = {}
    for line in EXCLUDED.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            nodeid, _, reason = line.partition(" ")
            excluded[nodeid] = reason.strip()
    return excluded


def is_excluded(nodeid: str, excluded: Iterable[str]) -> bool:
    return any(nodeid == prefix or nodeid.startswith(prefix + "[") for prefix in excluded)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", nargs="*", help="only these test files (test_auth.py ...)")
    parser.add_argument("--raise-floor", action="store_true", help="write a higher score")
    args = parser.parse_args(argv)

    suite = fetch()
    files = args.files or sorted(path.name for path in (suite / "tests").glob("test_*.py"))
    excluded = read_excluded()
    started = time.monotonic()
    rows = []
    failures: list[tuple[str, str]] = []
    total_pyzmq = total_both = 0
    # One side after the other: run side by side, pyzmq's timing-bound tests (a
    # subscription racing a publish) fail on a busy machine, and the score with them.
    results = {side: run_side(suite, files, side) for side in ("pyzmq", "zmtp")}
    for test_file, (on_pyzmq, pyzmq_s), (on_zmtp, zmtp_s) in zip(
        files, results["pyzmq"], results["zmtp"], strict=True
    ):
        seconds = (pyzmq_s, zmtp_s)
        scored = [
            nodeid
            for nodeid, result in on_pyzmq.items()
            if result.outcome == "passed" and not is_excluded(nodeid, excluded)
        ]
        both = [n for n in scored if n in on_zmtp and on_zmtp[n].outcome == "passed"]
        for nodeid in scored:
            if nodeid not in both:
                result = on_zmtp.get(
                    nodeid, Outcome("failed", "no result: its file was killed or crashed first")
                )
                failures.append((nodeid, f"{result.outcome}: {result.reason}"))
        rows.append((test_file, len(scored), len(both), seconds))
        total_pyzmq += len(scored)
        total_both += len(both)

    print(f"\npyzmq {PYZMQ_VERSION}'s test suite, on pyzmq and on zmtp")
    print(f"{'file':<28} {'pass on pyzmq':>14} {'also on zmtp':>13}   seconds (pyzmq, zmtp)")
    for test_file, scored_count, both_count, (on_pyzmq_s, on_zmtp_s) in rows:
        counts = f"{scored_count:>14} {both_count:>13}"
        print(f"{test_file:<28} {counts}   {on_pyzmq_s:5.1f} {on_zmtp_s:5.1f}")
    score = total_both / total_pyzmq if total_pyzmq else 0.0
    print(f"{'total':<28} {total_pyzmq:>14} {total_both:>13}  = {score:.1%}")
    print(f"({len(excluded)} entries excluded as pyzmq internals: {EXCLUDED.name};")
    print(f" {time.monotonic() - started:.0f} s)")
    if failures:
        print("\nPass on pyzmq, not on zmtp:")
        for nodeid, reason in failures:
            print(f"  {nodeid}\n      {reason}")

    if args.files:
        return 0  # (a partial run has no score to compare with the floor)
    floor = float(FLOOR.read_text().split()[0])
    if score + 1e-9 < floor:
        print(f"\nFAILED: {score:.1%} is below the floor of {floor:.1%} ({FLOOR})")
        return 1
    if args.raise_floor and score > floor:
        FLOOR.write_text(f"{score:.4f}\n")
        print(f"floor raised: {floor:.1%} -> {score:.1%}")
    print(f"\nOK: {score:.1%} >= floor {floor:.1%}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
