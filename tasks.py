#!/usr/bin/env python3
"""The project's commands; each creates or reuses ``.venv`` by itself.

    python3 tasks.py bench  # zmtp against pyzmq (libzmq): the README's main job
    python3 tasks.py test   # ruff, mypy, imports, docs, pytest, the wheel, pyzmq's suite
    python3 tasks.py demo   # our core, in a page of code, talks to a pyzmq peer
    python3 tasks.py docs   # the documentation site, into build/docs/html

Only the standard library is used here, so a fresh machine with python3 and
access to PyPI is enough.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / "python"
STAMP = VENV / ".zmtp-installed"


def ensure_venv() -> None:
    """Create .venv and install the project with its dev extras when pyproject changes."""
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if not PYTHON.exists():
        print(f"creating {VENV}", flush=True)
        venv.create(VENV, with_pip=True)
    if not STAMP.exists() or STAMP.read_text() != wanted:
        pip = [str(PYTHON), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
        subprocess.run([*pip, "--upgrade", "pip"], check=True)
        subprocess.run([*pip, "-e", f"{ROOT}[dev,bench]"], check=True)
        STAMP.write_text(wanted)


def run(*argv: str) -> int:
    print("$", " ".join(argv), flush=True)
    return subprocess.run(argv, cwd=ROOT, check=False).returncode


#: Sphinx, warnings as errors (the guides are README.md's sections; their examples
#: run in tests/test_guides.py).
DOCS = [
    str(BIN / "sphinx-build"),
    "-W",
    "--keep-going",
    "-q",
    "-b",
    "html",
    "docs",
    "build/docs/html",
]


def test(pytest_args: list[str]) -> int:
    """Every check CI runs; the first failure fails the whole command. With pytest
    arguments (a selection), the wheel's check and pyzmq's own suite are left out."""
    checks = [
        [str(BIN / "ruff"), "check", "."],
        [str(BIN / "ruff"), "format", "--check", "."],
        [str(BIN / "mypy")],
        [str(BIN / "lint-imports")],
        DOCS,
        [str(PYTHON), "-m", "pytest", *pytest_args],
    ]
    if not pytest_args:
        checks.append([str(PYTHON), str(ROOT / "tests" / "packaging" / "check_wheel.py")])
        checks.append([str(PYTHON), str(ROOT / "tests" / "pyzmq_suite" / "run.py")])
    for argv in checks:
        code = run(*argv)
        if code != 0:
            print(f"FAILED ({code}): {' '.join(argv)}", file=sys.stderr)
            return code
    return 0


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in {"bench", "demo", "docs", "test"}:
        print(__doc__)
        return 2
    ensure_venv()
    if argv[0] == "bench":
        return run(str(BIN / "zmtp-bench"), *argv[1:])
    if argv[0] == "docs":
        code = run(*DOCS, *argv[1:])
        if code == 0:
            print(f"open {ROOT / 'build' / 'docs' / 'html' / 'index.html'}")
        return code
    if argv[0] == "demo":
        return run(str(PYTHON), str(ROOT / "examples" / "pyzmq_demo.py"), *argv[1:])
    return test(argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
