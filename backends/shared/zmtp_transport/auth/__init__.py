"""pyzmq's ``zmq.auth``, written once: the ZAP policy every backend's
authenticator applies, and CURVE certificate files."""

from .base import CURVE_ALLOW_ANY, Authenticator
from .certs import create_certificates, load_certificate, load_certificates

__all__ = [
    "CURVE_ALLOW_ANY",
    "Authenticator",
    "create_certificates",
    "load_certificate",
    "load_certificates",
]
