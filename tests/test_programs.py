"""Ordinary pyzmq programs (tests/programs/, written for pyzmq) run unchanged on
zmtp through ``python -m zmtp_compat``, and print what they print on pyzmq."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from peers import require_pyzmq

PROGRAMS = Path(__file__).with_name("programs")
ROOT = PROGRAMS.parent.parent


def run(*command: str) -> str:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run(
        [sys.executable, *command],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.parametrize("program", sorted(p.name for p in PROGRAMS.glob("*.py")))
def test_a_pyzmq_program_runs_on_zmtp_as_on_pyzmq(program: str) -> None:
    require_pyzmq()
    path = str(PROGRAMS / program)
    on_pyzmq = run(path)
    assert on_pyzmq  # (each program prints what it did)
    assert run("-m", "zmtp_compat", path) == on_pyzmq


def test_the_shim_reaches_child_processes_and_nothing_else() -> None:
    child = "import zmq, sys; print(zmq.__name__, zmq.Context.__module__.split('.')[0])"
    parent = (
        "import subprocess, sys, zmq, zmq.asyncio, zmq.devices, zmq.utils.monitor;"
        "print(zmq.__name__, zmq.asyncio.__name__);"
        f"print(subprocess.run([sys.executable, '-c', {child!r}],"
        " capture_output=True, text=True).stdout, end='')"
    )
    assert run("-m", "zmtp_compat", "-c", parent) == (
        "zmtp_selectors zmtp_asyncio\nzmtp_selectors zmtp_selectors\n"
    )
    # Without it, zmq is pyzmq (the shim directory is on no path by default).
    require_pyzmq()
    assert run("-c", "import zmq; print(zmq.__name__, zmq.__file__)").startswith("zmq ")
    env_line = run("-m", "zmtp_compat", "--env").strip()
    assert env_line.startswith("PYTHONPATH=") and env_line.endswith("as_zmq")


def test_pyzmqs_module_paths_lead_to_zmtp() -> None:
    code = (
        "import zmq, zmq.auth.ioloop, zmq.auth.thread, zmq.eventloop.zmqstream, zmq.devices,"
        " zmq.green, zmq.green.eventloop.zmqstream;"
        "print(zmq.auth.ioloop.IOLoopAuthenticator.__name__, zmq.sugar.socket.Socket.__module__,"
        " zmq.error.ZMQError.__module__, zmq.Context[zmq.Socket].__module__)"
    )
    assert run("-m", "zmtp_compat", "-c", code).split() == [
        "IOLoopAuthenticator",
        "zmtp_selectors._socket",
        "zmtp_core._errors",
        "zmtp_selectors._context",
    ]
