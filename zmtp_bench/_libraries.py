"""The libraries compared: each zmtp backend and the pyzmq flavour it mirrors."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from types import ModuleType

__all__ = ["BASELINES", "LIBRARIES", "Library"]


@dataclass(frozen=True)
class Library:
    """A ZeroMQ implementation the benchmark can drive."""

    name: str
    module: str
    ours: bool
    #: The event loop its coroutines run on (asyncio, trio or curio), or None: blocking calls.
    runner: str | None = None
    #: Where its socket types, errors and counters live, if not in ``module``.
    constants: str | None = None
    #: Of the transports only zmtp has in pyzmq's wheels (tls, ws, wss), those it has too.
    layered: tuple[str, ...] = ()
    #: It has the draft socket types (CLIENT_SERVER and RADIO_DISH rows), blocking calls.
    drafts: bool = False

    def load(self) -> ModuleType:
        return importlib.import_module(self.module)

    def load_constants(self) -> ModuleType:
        return importlib.import_module(self.constants or self.module)


LIBRARIES = {
    library.name: library
    for library in (
        Library("pyzmq", "zmq", ours=False),
        Library("zmtp-selectors", "zmtp_selectors", ours=True, drafts=True),
        Library("zmq.asyncio", "zmq.asyncio", ours=False, runner="asyncio", constants="zmq"),
        Library("zmtp-asyncio", "zmtp_asyncio", ours=True, runner="asyncio"),
        Library(
            "zmq-anyio", "zmtp_bench._zmq_anyio", ours=False, runner="asyncio", constants="zmq"
        ),
        Library("zmtp-anyio", "zmtp_anyio", ours=True, runner="asyncio"),
        Library(
            "zmq-anyio/trio", "zmtp_bench._zmq_anyio", ours=False, runner="trio", constants="zmq"
        ),
        Library("zmtp-anyio/trio", "zmtp_anyio", ours=True, runner="trio"),
        Library("zmtp-curio", "zmtp_curio", ours=True, runner="curio"),
        # Debian's libzmq, the one with ws, through ctypes (zmtp_bench._libzmq5 says why
        # its numbers include a slow binding).
        Library("libzmq5-ctypes", "zmtp_bench._libzmq5", ours=False, layered=("ws",)),
        # The same source built with the draft API by .ci/build-libzmq-draft.
        Library(
            "libzmq-draft-ctypes",
            "zmtp_bench._libzmq_draft",
            ours=False,
            layered=("ws",),
            drafts=True,
        ),
    )
}

#: For each zmtp backend (and event loop), the library it is measured against.
BASELINES = {
    "selectors": ("zmtp-selectors", "pyzmq"),
    "asyncio": ("zmtp-asyncio", "zmq.asyncio"),
    "anyio": ("zmtp-anyio", "zmq-anyio"),
    "anyio+trio": ("zmtp-anyio/trio", "zmq-anyio/trio"),
    # No libzmq binding runs on curio: measured against zmtp_asyncio.
    "curio": ("zmtp-curio", "zmtp-asyncio"),
    # zmtp_selectors against Debian's libzmq5 through ctypes: the one libzmq with ws.
    "libzmq5": ("zmtp-selectors", "libzmq5-ctypes"),
    # ... and against the draft-enabled build: the CLIENT_SERVER and RADIO_DISH rows.
    "libzmq-draft": ("zmtp-selectors", "libzmq-draft-ctypes"),
}
