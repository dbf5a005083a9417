"""Others' applications, installed from PyPI, run unchanged on zmtp through the
launcher's environment (``export $(python -m zmtp_compat --env)``), with their
own commands: circus (circusd and circusctl), nbclient (``jupyter execute``,
a kernel and its client) and ipyparallel (``ipcluster``, engines and a Client)."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

BIN = Path(sys.executable).parent


def launcher_env(home: Path) -> dict[str, str]:
    """This environment with ``zmq`` giving zmtp, and a HOME of the test's own."""
    line = subprocess.run(
        [sys.executable, "-m", "zmtp_compat", "--env"], capture_output=True, text=True, check=True
    ).stdout.strip()
    name, _, value = line.partition("=")
    env = dict(os.environ, HOME=str(home), JUPYTER_PLATFORM_DIRS="1")
    env[name] = value
    return env


def free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    for sock in sockets:
        sock.bind(("127.0.0.1", 0))
    ports = [sock.getsockname()[1] for sock in sockets]
    for sock in sockets:
        sock.close()
    return ports


def run(command: list[str], env: dict[str, str], cwd: Path, timeout: float = 60) -> str:
    done = subprocess.run(
        command, env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


@contextlib.contextmanager
def background(command: list[str], env: dict[str, str], log: Path) -> Iterator[Any]:
    """A program running in its own session, its output in ``log``; killed with
    every process it started at the end."""
    with log.open("w") as output:
        process = subprocess.Popen(
            command,
            env=env,
            cwd=log.parent,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        yield process
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return launcher_env(tmp_path)


def test_circus_daemon_and_control(tmp_path: Path, env: dict[str, str]) -> None:
    pytest.importorskip("circus")
    control, pubsub = free_ports(2)
    endpoint = f"tcp://127.0.0.1:{control}"
    (tmp_path / "circus.ini").write_text(
        f"[circus]\nendpoint = {endpoint}\npubsub_endpoint = tcp://127.0.0.1:{pubsub}\n"
        "statsd = False\ncheck_delay = 1\n\n"
        f"[watcher:sleeper]\ncmd = {sys.executable} -c 'import time; time.sleep(60)'\n"
        "numprocesses = 2\n"
    )
    log = tmp_path / "circusd.log"
    with background([str(BIN / "circusd"), "circus.ini"], env, log) as daemon:
        ctl = [str(BIN / "circusctl"), "--endpoint", endpoint, "--timeout", "10"]

        def processes_become(count: str) -> None:
            """circusd answers while its watcher still spawns: ask until it says ``count``."""
            deadline = time.monotonic() + 30
            while (said := run([*ctl, "numprocesses", "sleeper"], env, tmp_path).strip()) != count:
                assert time.monotonic() < deadline, f"numprocesses stays {said}, not {count}"

        processes_become("2")
        assert run([*ctl, "incr", "sleeper"], env, tmp_path).strip() == "ok"
        processes_become("3")
        assert run([*ctl, "status", "sleeper"], env, tmp_path).strip() == "active"
        assert run([*ctl, "quit"], env, tmp_path).strip() == "ok"
        daemon.wait(timeout=30)
    assert daemon.returncode == 0 and "Arbiter exiting" in log.read_text(), log.read_text()


def test_nbclient_executes_a_notebook(tmp_path: Path, env: dict[str, str]) -> None:
    nbformat = pytest.importorskip("nbformat")
    pytest.importorskip("nbclient")
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_code_cell("import zmq\nprint(zmq.__name__)\n6 * 7"),
        nbformat.v4.new_code_cell("for n in range(3):\n    print(n)"),
    ]
    nbformat.write(notebook, tmp_path / "t.ipynb")
    run([str(BIN / "jupyter"), "execute", "--inplace", "t.ipynb"], env, tmp_path)
    cells = nbformat.read(tmp_path / "t.ipynb", as_version=4).cells
    outputs = [[o.get("text") or o["data"]["text/plain"] for o in c.outputs] for c in cells]
    assert outputs == [["zmtp_selectors\n", "42"], ["0\n1\n2\n"]]  # (the kernel's zmq: zmtp)


@pytest.fixture
def cluster(tmp_path: Path, env: dict[str, str]) -> Iterator[None]:
    pytest.importorskip("ipyparallel")
    log = tmp_path / "ipcluster.log"
    with background([str(BIN / "ipcluster"), "start", "-n", "2"], env, log) as start:
        # A Client needs the controller's connection file: wait for it (a fresh HOME
        # and first imports take a while).
        connection = tmp_path / ".ipython/profile_default/security/ipcontroller-client.json"
        deadline = time.monotonic() + 60
        while not connection.exists() and start.poll() is None:
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.05)
        yield
        subprocess.run([BIN / "ipcluster", "stop"], env=env, cwd=tmp_path, timeout=60, check=False)
        start.wait(timeout=60)
    assert "Bad file descriptor" not in log.read_text(), log.read_text()


def test_ipyparallel_runs_work_on_its_engines(
    tmp_path: Path, env: dict[str, str], cluster: None
) -> None:
    script = (
        "import ipyparallel as ipp, zmq\n"
        "rc = ipp.Client(timeout=30)\n"
        "rc.wait_for_engines(2, timeout=60)\n"
        "view = rc[:]\n"
        "print(zmq.__name__, view.apply_sync(lambda: __import__('zmq').__name__))\n"
        "print(view.map_sync(lambda x: x * x, range(6)))\n"
        "print(view.apply_sync(len, b'x' * 1_000_000))\n"
        "rc.close()\n"
    )
    output = run([sys.executable, "-c", script], env, tmp_path, timeout=120)
    assert output.splitlines()[-3:] == [  # (after ipyparallel's progress line)
        "zmtp_selectors ['zmtp_selectors', 'zmtp_selectors']",
        "[0, 1, 4, 9, 16, 25]",
        "[1000000, 1000000]",
    ]
