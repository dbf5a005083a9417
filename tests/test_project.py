"""Project-level promises: the demo runs, the layout shadows nothing."""

from __future__ import annotations

import importlib
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


@pytest.mark.parametrize("stdlib", ["selectors", "asyncio"])
def test_backend_folders_do_not_shadow_the_standard_library(stdlib: str) -> None:
    module = importlib.import_module(stdlib)
    assert module.__file__ is not None
    assert Path(module.__file__).is_relative_to(Path(sys.base_prefix)), module.__file__


def test_backend_packages_have_distinct_importable_names() -> None:
    for name in ("zmtp_selectors", "zmtp_asyncio", "zmtp_anyio"):
        module = importlib.import_module(name)
        assert module.__file__ is not None
        assert Path(module.__file__).resolve().is_relative_to(ROOT / "backends")


def test_every_package_is_typed() -> None:
    for folder in (
        "zmtp_core",
        *(f"backends/{b}/zmtp_{b}" for b in ("selectors", "asyncio", "anyio")),
    ):
        assert (ROOT / folder / "py.typed").exists(), folder
