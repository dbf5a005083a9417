"""A pytest plugin that writes each test's outcome to the file named by ZMTP_OUTCOMES.

One JSON object a line: ``{"nodeid": ..., "outcome": "passed" | "failed" | "skipped",
"reason": ...}``, written as each test finishes, after a ``"started"`` line written as it
begins: a file killed for taking too long keeps what finished and names the test that
did not. A test passes when its setup, call and teardown all pass; with
pytest-rerunfailures, the last attempt counts (as pytest counts it). The last line of
a test is its outcome.
"""

from __future__ import annotations

import json
import os
from typing import Any

_outcomes: dict[str, tuple[str, str]] = {}


def pytest_runtest_logreport(report: Any) -> None:
    if report.outcome == "rerun":
        _outcomes.pop(report.nodeid, None)
        return
    if report.when == "call" or report.outcome != "passed":
        previous = _outcomes.get(report.nodeid)
        if previous is None or previous[0] == "passed":
            reason = "" if report.outcome == "passed" else _first_line(report)
            if report.when != "call" and report.outcome == "failed":
                reason = f"({report.when}) {reason}"
            _outcomes[report.nodeid] = (report.outcome, reason)


def pytest_runtest_logstart(nodeid: str, location: Any) -> None:
    _write(nodeid, "started", "")


def pytest_runtest_logfinish(nodeid: str, location: Any) -> None:
    if nodeid in _outcomes:  # (not after an attempt that is rerun)
        _write(nodeid, *_outcomes[nodeid])


def _write(nodeid: str, outcome: str, reason: str) -> None:
    path = os.environ.get("ZMTP_OUTCOMES")
    if path:
        with open(path, "a", encoding="utf-8") as file:
            line = {"nodeid": nodeid, "outcome": outcome, "reason": reason}
            file.write(json.dumps(line) + "\n")


def _first_line(report: Any) -> str:
    """The line that says why: the exception line of a failure, the reason of a skip."""
    if isinstance(report.longrepr, tuple):  # a skip: (path, line, reason)
        return str(report.longrepr[2])
    text = str(report.longrepr or "")
    lines = [line for line in text.splitlines() if line.startswith("E ")]
    lines = lines or text.strip().splitlines()[-1:] or [""]
    return lines[0].removeprefix("E ").strip()[:300]
