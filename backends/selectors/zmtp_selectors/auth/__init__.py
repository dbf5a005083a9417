"""pyzmq's ``zmq.auth``, as ``zmtp_selectors.auth``: ZAP handlers and CURVE
certificates (see zmtp_transport.auth for the policy)."""

from zmtp_transport.auth import (
    CURVE_ALLOW_ANY,
    Authenticator,
    create_certificates,
    load_certificate,
    load_certificates,
)

from .thread import ThreadAuthenticator

__all__ = [
    "CURVE_ALLOW_ANY",
    "Authenticator",
    "ThreadAuthenticator",
    "create_certificates",
    "load_certificate",
    "load_certificates",
]
