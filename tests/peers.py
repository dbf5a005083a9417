"""Access to real peers (pyzmq today): skip locally when missing, fail in CI."""

from __future__ import annotations

import os
from types import ModuleType

import pytest


def require_pyzmq() -> ModuleType:
    """The zmq module, or a skip (a failure when ZMTP_REQUIRE_PEERS=1)."""
    try:
        import zmq  # noqa: PLC0415
    except ImportError:
        if os.environ.get("ZMTP_REQUIRE_PEERS") == "1":
            pytest.fail("pyzmq is required in CI (ZMTP_REQUIRE_PEERS=1) but is not installed")
        pytest.skip("pyzmq is not installed")
    return zmq
