"""What pyzmq says about the library underneath: versions, capabilities, errors.

There is no libzmq here. ``zmq_version()`` reports the libzmq release whose
wire behaviour zmtp reproduces and is tested against (its ZMTP 3.1, its
mechanisms, its socket options), so that code gating features on it takes the
paths that work; ``pyzmq_version()`` (and ``__version__``, as pyzmq's) report
the pyzmq release whose API the backends follow and are tested against; zmtp's
own release is ``zmtp_version``.
"""

from __future__ import annotations

import importlib.util
import time
import warnings

from zmtp_core import curve as _curve
from zmtp_core.curve import z85_decode, z85_encode

_LIBZMQ = (4, 3, 5)
_PYZMQ = (27, 3, 0)

#: pyzmq's ``zmq.__version__``: the pyzmq release whose API we follow (programs
#: check it: circus refuses to start without it). pyzmq's version module's
#: names go with it.
__version__ = ".".join(map(str, _PYZMQ))
__revision__ = ""
VERSION_MAJOR, VERSION_MINOR, VERSION_PATCH = _PYZMQ
VERSION_EXTRA = ""
version_info = _PYZMQ


def zmq_version_info() -> tuple[int, int, int]:
    """The libzmq release we behave as, as a tuple."""
    return _LIBZMQ


def zmq_version() -> str:
    return ".".join(map(str, _LIBZMQ))


def pyzmq_version_info() -> tuple[int, int, int]:
    """The pyzmq release whose API we follow, as a tuple."""
    return _PYZMQ


def pyzmq_version() -> str:
    return ".".join(map(str, _PYZMQ))


def curve_keypair() -> tuple[bytes, bytes]:
    """A new CURVE key pair as pyzmq returns it: (public, secret), Z85 text."""
    public, secret = _curve.curve_keypair()
    return z85_encode(public), z85_encode(secret)


def curve_public(secret_key: bytes | str) -> bytes:
    """The public key (Z85) of a secret key (Z85)."""
    return z85_encode(_curve.curve_public(z85_decode(secret_key)))


def has(capability: str) -> bool:
    """libzmq's ``zmq_has``: ipc always; ws and wss always (libzmq 4.3 spells them
    "WS" and "WSS", later versions in lowercase: both are understood); the draft
    API always; curve when PyNaCl is installed; pgm, tipc, norm, vmci and gssapi never."""
    if capability in ("ipc", "ws", "wss", "WS", "WSS", "draft"):
        return True
    if capability == "curve":
        return importlib.util.find_spec("nacl") is not None
    return False


def zmq_errno() -> int:
    """libzmq's thread-local errno: errors here are exceptions that carry their
    own, so there is never one pending."""
    return 0


def get_includes() -> list[str]:
    """Where libzmq's C headers are, for building extensions: there are none."""
    return []


def get_library_dirs() -> list[str]:
    """Where libzmq's shared library is: there is none."""
    return []


class Stopwatch:
    """pyzmq's deprecated timer: microseconds between start() and stop()."""

    def __init__(self) -> None:
        warnings.warn(
            "Stopwatch is deprecated (as in pyzmq): use time.monotonic",
            DeprecationWarning,
            stacklevel=2,
        )
        self._start = 0.0

    def start(self) -> None:
        self._start = time.monotonic()

    def stop(self) -> int:
        return int((time.monotonic() - self._start) * 1e6)
