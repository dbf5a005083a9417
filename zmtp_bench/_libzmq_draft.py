"""The draft-enabled libzmq (Debian's 4.3.4 source, built by ``.ci/build-libzmq-draft``)
through ctypes, as :mod:`zmtp_bench._libzmq5` drives Debian's own build: the one
libzmq with CLIENT/SERVER and RADIO/DISH here (pyzmq's wheels are built without
the draft API). Its numbers include ctypes' cost per call, as _libzmq5 explains.
"""

from __future__ import annotations

from pathlib import Path

from zmtp_bench import _libzmq5
from zmtp_bench._libzmq5 import *  # noqa: F403 - the same API
from zmtp_bench._libzmq5 import __all__ as __all__  # noqa: PLC0414

#: Where .ci/build-libzmq-draft leaves it (the checkout's build folder).
DRAFT_BUILD = Path(__file__).resolve().parent.parent / "build" / "libzmq-draft" / "libzmq.so.5"
if not DRAFT_BUILD.exists():
    raise ImportError(f"no draft-enabled libzmq at {DRAFT_BUILD}: run .ci/build-libzmq-draft")
_libzmq5.LIBRARY_PATH = str(DRAFT_BUILD)
