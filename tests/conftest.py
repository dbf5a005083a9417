"""Shared fixtures: hypothesis profiles, debug counters, and the peer policy.

Peers such as pyzmq may be missing on a developer machine, where their tests
skip with a reason; CI sets ZMTP_REQUIRE_PEERS=1 and a missing peer fails.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

from zmtp_core import DebugCounters, counters

import backends
from certs import Certificates, make_certificates
from libzmq5 import require_libzmq_draft

# Deterministic by default (CI must not flake); HYPOTHESIS_PROFILE=explore to search wider.
settings.register_profile(
    "ci",
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile("explore", deadline=None, max_examples=2000)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

for variable in ("ZMTP_ZEROCOPY_WRITE", "ZMTP_LAZY_COMPACT", "ZMTP_WRITE_BATCHING"):
    os.environ.pop(variable, None)  # toggles are set per test, never inherited


@pytest.fixture(scope="session")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    """A CA, server, client, expired and impostor certificates (PEM files)."""
    return make_certificates(tmp_path_factory.mktemp("certs"))


@pytest.fixture
def debug_counters() -> Iterator[DebugCounters]:
    """Counters switched on and zeroed for one test, restored afterwards."""
    was = counters.enabled
    counters.enable()
    counters.reset()
    try:
        yield counters
    finally:
        counters.enable(was)
        counters.reset()


@pytest.fixture(params=backends.BACKENDS)
def zmtp(request: pytest.FixtureRequest) -> object:
    """A zmtp backend module with pyzmq's API (one run per backend)."""
    return backends.load(request.param)


@pytest.fixture
def ctx(zmtp: object) -> Iterator[backends.TrackedContext]:
    """A Context of the backend under test; its sockets are all closed after the test."""
    tracked = backends.TrackedContext(zmtp.Context())  # type: ignore[attr-defined]
    yield tracked
    tracked.close()


@pytest.fixture
def libzmq_draft() -> Iterator[Any]:
    """A context of the draft-enabled libzmq (ctypes; .ci/build-libzmq-draft)."""
    context = require_libzmq_draft().context()
    yield context
    context.term()


@pytest.fixture(autouse=True)
def _no_unexpected_backend_errors(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """A reactor swallows handler errors to stay alive; a test must not."""
    yield
    errors = [r for r in caplog.records if r.name.startswith("zmtp") and r.levelname == "ERROR"]
    assert not errors, [r.getMessage() + (r.exc_text or "") for r in errors]
