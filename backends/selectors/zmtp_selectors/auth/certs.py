"""pyzmq's ``zmq.auth.certs``."""

from zmtp_transport.auth.certs import create_certificates, load_certificate, load_certificates

__all__ = ["create_certificates", "load_certificate", "load_certificates"]
