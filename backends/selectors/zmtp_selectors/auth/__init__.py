"""pyzmq's ``zmq.auth``, as ``zmtp_selectors.auth``: ZAP handlers and CURVE
certificates (see zmtp_transport.auth for the policy)."""

from zmtp_transport import auth as _shared
from zmtp_transport.auth import *  # noqa: F403 - pyzmq's zmq.auth names, written once

from .thread import ThreadAuthenticator

__all__ = ["ThreadAuthenticator"]
__all__ += _shared.__all__
