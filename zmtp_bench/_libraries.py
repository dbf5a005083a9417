"""The libraries compared: each zmtp backend and the pyzmq API it mirrors."""

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
    #: Its sockets' waiting calls are coroutines (run under asyncio).
    asynchronous: bool = False
    #: Where its socket types, errors and counters live, if not in ``module``.
    constants: str | None = None

    def load(self) -> ModuleType:
        return importlib.import_module(self.module)

    def load_constants(self) -> ModuleType:
        return importlib.import_module(self.constants or self.module)


LIBRARIES = {
    "pyzmq": Library("pyzmq", "zmq", ours=False),
    "zmtp-selectors": Library("zmtp-selectors", "zmtp_selectors", ours=True),
    "zmq.asyncio": Library(
        "zmq.asyncio", "zmq.asyncio", ours=False, asynchronous=True, constants="zmq"
    ),
    "zmtp-asyncio": Library("zmtp-asyncio", "zmtp_asyncio", ours=True, asynchronous=True),
}

#: For each zmtp backend, the pyzmq flavour it is measured against.
BASELINES = {
    "selectors": ("zmtp-selectors", "pyzmq"),
    "asyncio": ("zmtp-asyncio", "zmq.asyncio"),
}
