"""Access to real peers: skip locally when missing, fail in CI (ZMTP_REQUIRE_PEERS=1)."""

from __future__ import annotations

import os
from types import ModuleType

import pytest


def peers_required() -> bool:
    return os.environ.get("ZMTP_REQUIRE_PEERS") == "1"


def missing(reason: str) -> None:
    """A peer is not there: skip here, fail in CI."""
    if peers_required():
        pytest.fail(f"{reason} (required in CI: ZMTP_REQUIRE_PEERS=1)")
    pytest.skip(reason)


def require_pyzmq() -> ModuleType:
    """The zmq module, or a skip (a failure when ZMTP_REQUIRE_PEERS=1)."""
    try:
        import zmq  # noqa: PLC0415
    except ImportError:
        missing("pyzmq is not installed")
    return zmq
