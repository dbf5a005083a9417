"""pyzmq's ``zmq.ssh``: ZeroMQ connections through ssh tunnels (see ``tunnel``)."""

from __future__ import annotations

from .tunnel import *  # noqa: F403
from .tunnel import __all__ as __all__
