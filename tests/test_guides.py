"""The guides' Python examples run as written, so that they cannot rot.

Every ```python block of README.md and docs/ is a whole program run in a fresh
interpreter, except the ones that say on their first line that they are a
sketch (a fragment needing your certificates or your loop).
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
GUIDES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
BLOCK = re.compile(r"^```python\n(.*?)^```$", re.DOTALL | re.MULTILINE)
SKETCH = "# (a sketch"


def examples() -> list[pytest.ParameterSet]:
    found = []
    for guide in GUIDES:
        text = guide.read_text(encoding="utf-8")
        for match in BLOCK.finditer(text):
            line = text.count("\n", 0, match.start()) + 1
            code = match.group(1)
            if not code.startswith(SKETCH):
                name = f"{guide.relative_to(ROOT)}:{line}"
                found.append(pytest.param(code, id=name))
    return found


def test_the_guides_have_examples_to_run() -> None:
    assert len(examples()) >= 5


@pytest.mark.parametrize("code", examples())
def test_example_runs(code: str) -> None:
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=30, check=False
    )
    assert result.returncode == 0, result.stderr[-2000:]
