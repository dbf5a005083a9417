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

    def load(self) -> ModuleType:
        return importlib.import_module(self.module)


LIBRARIES = {
    "pyzmq": Library("pyzmq", "zmq", ours=False),
    "zmtp-selectors": Library("zmtp-selectors", "zmtp_selectors", ours=True),
}

#: For each zmtp backend, the pyzmq flavour it is measured against.
BASELINES = {"selectors": ("zmtp-selectors", "pyzmq")}
