"""Run pyzmq programs on zmtp without changing them: ``zmq`` names zmtp's backends.

``python -m zmtp_compat program.py`` (or ``-m module``) runs a program with
``import zmq`` giving :mod:`zmtp_selectors`, ``zmq.asyncio`` giving
:mod:`zmtp_asyncio`, and every other ``zmq.<name>`` the module of that name
below ``zmtp_selectors`` (see :data:`ALIASES` for the exceptions). Child
Python processes that the program starts inherit it: the shim directory
(:data:`SHIM_DIR`, holding a one-file ``zmq`` module) goes first on their
``PYTHONPATH``.

Nothing changes for a process that did not ask: the shim directory is on no
path by default, so an installed pyzmq stays ``zmq`` everywhere else.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
from pathlib import Path
from types import CodeType, ModuleType

__all__ = ["ALIASES", "SHIM_DIR", "install", "target_of"]

#: The directory to put first on PYTHONPATH for ``import zmq`` to give zmtp.
SHIM_DIR = Path(__file__).resolve().parent / "as_zmq"

#: ``zmq`` modules that are not simply the same name below zmtp_selectors.
ALIASES = {
    "zmq": "zmtp_selectors",
    "zmq.asyncio": "zmtp_asyncio",
    "zmq._future": "zmtp_asyncio",
    "zmq.auth.asyncio": "zmtp_asyncio.auth",
    "zmq.auth.ioloop": "zmtp_asyncio.auth",
    "zmq.eventloop.future": "zmtp_asyncio.future",
    "zmq.error": "zmtp_transport.errors",
    "zmq.constants": "zmtp_transport.constants",
    "zmq.backend": "zmtp_selectors",
    "zmq.sugar": "zmtp_compat.sugar",
    "zmq.sugar.context": "zmtp_selectors",
    "zmq.sugar.socket": "zmtp_selectors",
    "zmq.sugar.frame": "zmtp_selectors",
    "zmq.sugar.poll": "zmtp_selectors",
    "zmq.sugar.tracker": "zmtp_selectors",
    "zmq.sugar.version": "zmtp_selectors",
    "zmq.sugar.attrsettr": "zmtp_selectors",
    "zmq.green.eventloop": "zmtp_selectors.eventloop",
    "zmq.green.eventloop.ioloop": "zmtp_selectors.eventloop.ioloop",
    "zmq.green.eventloop.zmqstream": "zmtp_selectors.eventloop.zmqstream",
}


def target_of(name: str) -> str | None:
    """The zmtp module that stands for pyzmq's module ``name`` (None: not ours)."""
    if name in ALIASES:
        return ALIASES[name]
    if name.startswith("zmq."):
        return "zmtp_selectors." + name[len("zmq.") :]
    return None


class _Alias(importlib.abc.Loader):
    """Loads ``zmq.<name>`` as the zmtp module itself (one module, two names)."""

    def __init__(self, target: str) -> None:
        self.target = target

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        module = importlib.import_module(self.target)
        self._own_spec = module.__spec__
        self._alias = spec.name
        return module

    def get_code(self, fullname: str) -> CodeType | None:
        """The target's code: ``python -m zmq.curve_keygen`` runs our module so."""
        spec = importlib.util.find_spec(self.target)
        loader = spec.loader if spec is not None else None
        get_code = getattr(loader, "get_code", None)
        return None if get_code is None else get_code(self.target)

    def exec_module(self, module: ModuleType) -> None:
        module.__spec__ = self._own_spec  # (the import system wrote the alias's spec there)
        # ``from zmq.eventloop import future`` looks for ``future`` in the module that
        # zmq.eventloop is, then under that module's own name: a child that lives in
        # another of our packages (zmq.eventloop.future: zmtp_asyncio's) must be there.
        for alias, child_target in ALIASES.items():
            parent, _, child = alias.rpartition(".")
            if (
                parent == self._alias
                and not hasattr(module, child)
                and not child_target.startswith(self.target + ".")
            ):
                setattr(module, child, importlib.import_module(alias))


class _ZmqFinder(importlib.abc.MetaPathFinder):
    def find_spec(
        self, fullname: str, path: object = None, target: object = None
    ) -> importlib.machinery.ModuleSpec | None:
        module = target_of(fullname)
        if module is None or importlib.util.find_spec(module) is None:
            return None  # ("No module named 'zmq.<name>'", as for any missing module)
        return importlib.machinery.ModuleSpec(fullname, _Alias(module))


#: What ``import zmq`` makes reachable as attributes in pyzmq (its __init__
#: imports them), and so here.
_EAGER = ("zmq.error", "zmq.constants", "zmq.sugar", "zmq.backend", "zmq.utils")


def install() -> None:
    """From now on in this process, ``import zmq`` (and ``zmq.<name>``) gives zmtp."""
    if not any(isinstance(finder, _ZmqFinder) for finder in sys.meta_path):
        sys.meta_path.insert(0, _ZmqFinder())
    for name in [n for n in sys.modules if n == "zmq" or n.startswith("zmq.")]:
        if not getattr(sys.modules[name], "__name__", "").startswith("zmtp"):
            del sys.modules[name]  # (our own shim module, or a pyzmq imported before)
    zmq = importlib.import_module("zmtp_selectors")
    sys.modules["zmq"] = zmq
    for name in _EAGER:
        setattr(zmq, name.split(".")[1], importlib.import_module(name))
