#!/usr/bin/env python3
"""The wheel and sdist as users get them: built, checked, installed, used.

    python tests/packaging/check_wheel.py

Builds both with ``python -m build`` into ``build/dist``, runs ``twine check``,
installs the wheel (not editable; the runtime extras of every backend, none of
the test tools) into a fresh venv in ``build/wheel-venv``, and runs smoke.py
with that venv's interpreter from a temporary folder outside the checkout.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import tomllib
import venv
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DIST = ROOT / "build" / "dist"
VENV = ROOT / "build" / "wheel-venv"
EXTRAS = "anyio,trio,curio,gevent"


def run(*argv: str | Path, cwd: Path = ROOT) -> None:
    print("$", " ".join(map(str, argv)), flush=True)
    subprocess.run(list(map(str, argv)), cwd=cwd, check=True)


def source_packages() -> set[str]:
    """Every package folder (one with ``__init__.py``) under pyproject's search roots."""
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    found = set()
    for where in pyproject["tool"]["setuptools"]["packages"]["find"]["where"]:
        for init in (ROOT / where).glob("zmtp_*/**/__init__.py"):
            found.add(".".join(init.parent.relative_to(ROOT / where).parts))
    return found


def wheel_packages(wheel: Path) -> set[str]:
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
    return {
        name.removesuffix("/__init__.py").replace("/", ".")
        for name in names
        if name.endswith("/__init__.py")
    }


def main() -> int:
    shutil.rmtree(DIST, ignore_errors=True)
    run(sys.executable, "-m", "build", "--outdir", DIST, ROOT)
    wheels, sdists = list(DIST.glob("*.whl")), list(DIST.glob("*.tar.gz"))
    if len(wheels) != 1 or len(sdists) != 1:
        print(f"expected one wheel and one sdist in {DIST}", file=sys.stderr)
        return 1
    run(sys.executable, "-m", "twine", "check", "--strict", wheels[0], sdists[0])
    missing = source_packages() - wheel_packages(wheels[0])
    if missing:
        print(f"packages left out of the wheel: {sorted(missing)}", file=sys.stderr)
        return 1
    shutil.rmtree(VENV, ignore_errors=True)
    venv.create(VENV, with_pip=True)
    python = VENV / "bin" / "python"
    run(python, "-m", "pip", "install", "-q", f"{wheels[0]}[{EXTRAS}]")
    with tempfile.TemporaryDirectory() as outside:
        smoke = Path(outside) / "smoke.py"
        shutil.copy(Path(__file__).with_name("smoke.py"), smoke)
        run(python, "-I", smoke, cwd=Path(outside))
    return 0


if __name__ == "__main__":
    sys.exit(main())
