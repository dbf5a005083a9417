"""pyzmq's flat namespace, less what each backend defines itself.

Every backend package re-exports this (constants, errors, Frame, the library
functions, counters) next to its own Context, Socket, Poller and
MessageTracker, so that code written as ``import zmq`` reads the same with
``import zmtp_<backend> as zmq``.
"""

from __future__ import annotations

from zmtp_core import __version__ as zmtp_version
from zmtp_core import counters
from zmtp_core.errors import strerror

from . import constants as _constants
from . import errors as _errors
from ._library import (
    VERSION_EXTRA,
    VERSION_MAJOR,
    VERSION_MINOR,
    VERSION_PATCH,
    Stopwatch,
    __revision__,
    __version__,
    curve_keypair,
    curve_public,
    get_includes,
    get_library_dirs,
    has,
    pyzmq_version,
    pyzmq_version_info,
    zmq_errno,
    zmq_version,
    zmq_version_info,
)
from .constants import *  # noqa: F403 - pyzmq's flat namespace
from .errors import *  # noqa: F403
from .frame import Frame

Message = Frame

__all__ = [
    "VERSION_EXTRA",
    "VERSION_MAJOR",
    "VERSION_MINOR",
    "VERSION_PATCH",
    "Frame",
    "Message",
    "Stopwatch",
    "__revision__",
    "__version__",
    "counters",
    "curve_keypair",
    "curve_public",
    "get_includes",
    "get_library_dirs",
    "has",
    "pyzmq_version",
    "pyzmq_version_info",
    "strerror",
    "zmq_errno",
    "zmq_version",
    "zmq_version_info",
    "zmtp_version",
]
__all__ += _constants.__all__
__all__ += _errors.__all__
