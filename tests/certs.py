"""Certificates for the tls:// and wss:// tests, made on the spot (trustme), in files.

One CA signs a server certificate for 127.0.0.1/localhost, a client
certificate and an expired server certificate; a second CA signs nothing we
trust, to play the impostor.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from pathlib import Path

import trustme

__all__ = ["Certificates", "make_certificates"]


@dataclass(frozen=True)
class Certificates:
    ca: str  # the CA clients and servers trust
    server: str  # certificate chain and key, for 127.0.0.1 and localhost
    client: str  # a client certificate from the same CA
    expired: str  # for 127.0.0.1, expired yesterday
    impostor: str  # for 127.0.0.1, from a CA nobody trusts


def make_certificates(directory: Path) -> Certificates:
    ca, other = trustme.CA(), trustme.CA()
    now = datetime.datetime.now(datetime.UTC)
    issued = {
        "server": ca.issue_cert("127.0.0.1", "localhost", "::1"),
        "client": ca.issue_cert("client@example.test"),
        "expired": ca.issue_cert(
            "127.0.0.1",
            not_before=now - datetime.timedelta(days=10),
            not_after=now - datetime.timedelta(days=1),
        ),
        "impostor": other.issue_cert("127.0.0.1", "localhost"),
    }
    paths = {"ca": directory / "ca.pem"}
    ca.cert_pem.write_to_path(str(paths["ca"]))
    for name, cert in issued.items():
        paths[name] = directory / f"{name}.pem"
        cert.private_key_and_cert_chain_pem.write_to_path(str(paths[name]))
    return Certificates(**{name: str(path) for name, path in paths.items()})
