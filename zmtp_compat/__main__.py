"""``python -m zmtp_compat [-m module | -c code | program.py | --env] [args...]``.

Runs a pyzmq program on zmtp, as ``python`` would run it, with ``zmq`` meaning
zmtp here and in every Python process it starts. ``--env`` prints the
PYTHONPATH setting that does the same for a shell (``export $(python -m
zmtp_compat --env)``).
"""

from __future__ import annotations

import os
import runpy
import sys

from zmtp_compat import SHIM_DIR, install


def main(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__)
        return 0 if argv else 2
    paths = [str(SHIM_DIR), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    pythonpath = os.pathsep.join(dict.fromkeys(paths))
    if argv[0] == "--env":
        print(f"PYTHONPATH={pythonpath}")
        return 0
    os.environ["PYTHONPATH"] = pythonpath  # (child Python processes load the shim too)
    install()
    if argv[0] in ("-m", "-c") and len(argv) < 2:
        print(f"zmtp_compat: {argv[0]} needs an argument", file=sys.stderr)
        return 2
    if argv[0] == "-m":
        sys.argv = argv[1:]
        runpy.run_module(argv[1], run_name="__main__", alter_sys=True)
    elif argv[0] == "-c":
        sys.argv = ["-c", *argv[2:]]
        sys.path[0] = ""  # as `python -c`
        exec(compile(argv[1], "<string>", "exec"), {"__name__": "__main__"})
    else:
        sys.argv = argv
        sys.path[0] = os.path.dirname(os.path.abspath(argv[0]))  # as `python program.py`
        runpy.run_path(argv[0], run_name="__main__")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
