"""Project-level promises: the demo runs, the layout shadows nothing."""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import pytest

from peers import require_pyzmq

ROOT = Path(__file__).resolve().parent.parent


def test_the_readme_demo_runs(capsys: pytest.CaptureFixture[str]) -> None:
    require_pyzmq()
    import pyzmq_demo  # noqa: PLC0415

    assert pyzmq_demo.main() == 0
    out = capsys.readouterr().out
    assert "262144 B body: sent to pyzmq and echoed back intact" in out


def test_router_loop_selftest_serves_three_pyzmq_dealers() -> None:
    """examples/router_loop.py: a ROUTER from zmtp_core and a selectors loop, nothing else."""
    require_pyzmq()
    result = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "router_loop.py"), "--selftest"],
        capture_output=True,
        text=True,
        timeout=150,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 DEALERs x 1000 messages: exit codes [0, 0, 0]" in result.stdout


def test_router_loop_uses_the_core_alone() -> None:
    source = (ROOT / "examples" / "router_loop.py").read_text()
    imports = [line for line in source.splitlines() if line.startswith(("import ", "from "))]
    assert not [line for line in imports if "zmtp_" in line and "zmtp_core" not in line]


def test_importing_the_core_loads_no_io_module() -> None:
    modules = ("ssl", "socket", "selectors", "select", "h11")
    code = f"import sys, zmtp_core; print([m for m in {modules!r} if m in sys.modules])"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


@pytest.mark.parametrize("stdlib", ["selectors", "asyncio"])
def test_backend_folders_do_not_shadow_the_standard_library(stdlib: str) -> None:
    module = importlib.import_module(stdlib)
    assert module.__file__ is not None
    assert Path(module.__file__).is_relative_to(Path(sys.base_prefix)), module.__file__


def test_backend_packages_have_distinct_importable_names() -> None:
    for name in ("zmtp_selectors", "zmtp_asyncio", "zmtp_anyio", "zmtp_curio"):
        module = importlib.import_module(name)
        assert module.__file__ is not None
        assert Path(module.__file__).resolve().is_relative_to(ROOT / "backends")


def test_every_package_is_typed() -> None:
    for folder in (
        "zmtp_core",
        *(f"backends/{b}/zmtp_{b}" for b in ("selectors", "asyncio", "anyio", "curio")),
    ):
        assert (ROOT / folder / "py.typed").exists(), folder


def test_the_engine_embedders_api_stays_small() -> None:
    """zmtp_core's top level is what an engine's embedder needs (h11 has 23 names);
    the rest lives in its public submodules."""
    import zmtp_core  # noqa: PLC0415

    assert len(zmtp_core.__all__) <= 30
    for name in zmtp_core.__all__:
        assert hasattr(zmtp_core, name), name
