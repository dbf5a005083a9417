"""Jupyter on zmtp: jupyter_client and ipykernel, each on zmtp or on pyzmq."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from peers import require_pyzmq

SESSION = Path(__file__).with_name("jupyter_session.py")


@pytest.mark.timeout(180)
# A zmtp client once waited 30 s for the interrupted cell's reply in CI (two of
# the three cases in one run; never reproduced alone or in 20 runs under load):
# a second attempt keeps it from hiding the rest, and the session dumps every
# thread's stack if it happens (see jupyter_session.py, and the notes).
@pytest.mark.flaky(reruns=1)
@pytest.mark.parametrize(
    ("client", "kernel"), [("zmtp", "pyzmq"), ("pyzmq", "zmtp"), ("zmtp", "zmtp")]
)
def test_a_kernel_runs_code_for_a_client(client: str, kernel: str) -> None:
    require_pyzmq()
    pytest.importorskip("ipykernel")
    pytest.importorskip("jupyter_client")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run(
        [sys.executable, str(SESSION), client, kernel],
        capture_output=True,
        text=True,
        timeout=150,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stdout.splitlines()
    names = {"zmtp": "zmtp_selectors", "pyzmq": "zmq"}
    assert lines[0] == f"client {names[client]}"
    assert "kernel_info ok python" in lines
    assert "execute ok" in lines
    assert f"stream kernel {names[kernel]}" in lines
    assert "execute_result 2" in lines
    assert "interrupt error KeyboardInterrupt" in lines
    assert "interrupted in time True" in lines
    assert "shut down True" in lines
