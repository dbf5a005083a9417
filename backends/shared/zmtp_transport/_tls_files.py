"""The SSLContext that the TLS_* options describe: reading certificate files is I/O,
so it happens here, at bind/connect time, and the core gets a ready context."""

from __future__ import annotations

import errno
import ssl

from zmtp_core import Endpoint, Options, SocketError

__all__ = ["tls_context_for"]


def tls_context_for(
    endpoint: Endpoint, options: Options, *, server_side: bool
) -> ssl.SSLContext | None:
    """The context for a tls:// or wss:// endpoint (None for the others); EINVAL if unusable."""
    if endpoint.transport not in ("tls", "wss"):
        return None
    try:
        return tls_context(options, server_side=server_side)
    except ValueError as error:
        raise SocketError(errno.EINVAL, str(error)) from None


def tls_context(options: Options, *, server_side: bool) -> ssl.SSLContext:
    """The SSLContext the TLS_* options describe (or the one TLS_CONTEXT holds).

    Clients verify the server by default (TLS_VERIFY=1) against TLS_CA and,
    with TLS_TRUST_SYSTEM=1, the system's store; the hostname checked is
    TLS_HOSTNAME or the endpoint's host. Servers need TLS_CERT and TLS_KEY,
    and verify clients only with TLS_REQUIRE_CLIENT_CERT=1. Bad files raise
    ValueError here, at bind/connect time.
    """
    given = options["TLS_CONTEXT"]
    if given is not None:
        assert isinstance(given, ssl.SSLContext)
        return given
    protocol = ssl.PROTOCOL_TLS_SERVER if server_side else ssl.PROTOCOL_TLS_CLIENT
    context = ssl.SSLContext(protocol)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    cert, key, ca = options["TLS_CERT"], options["TLS_KEY"], options["TLS_CA"]
    try:
        if cert:
            context.load_cert_chain(cert, key or None, password=options["TLS_PASSWORD"] or None)
        elif server_side:
            raise ValueError("a tls:// or wss:// server needs TLS_CERT and TLS_KEY")
        verify = options["TLS_REQUIRE_CLIENT_CERT"] if server_side else options["TLS_VERIFY"]
        if not verify:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
            return context
        context.verify_mode = ssl.CERT_REQUIRED
        if ca:
            context.load_verify_locations(ca)
        if options["TLS_TRUST_SYSTEM"]:
            context.load_default_certs(
                ssl.Purpose.CLIENT_AUTH if server_side else ssl.Purpose.SERVER_AUTH
            )
    except (OSError, ssl.SSLError) as error:
        raise ValueError(f"cannot load the TLS files: {error}") from None
    return context
