"""The ZAP handler's policy (RFC 27), as pyzmq's ``Authenticator`` applies it.

Addresses first: with an allow list, only those addresses pass; otherwise a
deny list keeps those out. Then the mechanism: NULL passes whoever was not
denied; PLAIN checks the user name and password for the request's domain;
CURVE checks the client's public key against the domain's certificates (or
lets any key in with :data:`CURVE_ALLOW_ANY`, or asks a callback). The answer
is 200 with a user id, or 400 with the reason. Each backend runs this on its
own REP socket at ``inproc://zeromq.zap.01`` (ThreadAuthenticator,
AsyncioAuthenticator, AnyioAuthenticator...).
"""

from __future__ import annotations

import inspect
import logging
import os
from collections.abc import Awaitable
from typing import Any, Protocol

from zmtp_core.curve import z85_encode

from ..constants import REP
from .certs import load_certificates

__all__ = ["CURVE_ALLOW_ANY", "ZAP_ENDPOINT", "Authenticator", "CredentialsProvider"]

#: configure_curve(location=CURVE_ALLOW_ANY): any client key is accepted.
CURVE_ALLOW_ANY = "*"
ZAP_ENDPOINT = "inproc://zeromq.zap.01"
_VERSION = b"1.0"


class CredentialsProvider(Protocol):
    def callback(self, domain: str, key: bytes) -> bool | Awaitable[bool]: ...


class Authenticator:
    """The policy; subclasses own the ZAP socket and the loop that serves it."""

    def __init__(
        self, context: Any = None, encoding: str = "utf-8", log: logging.Logger | None = None
    ) -> None:
        self.context = context
        self.encoding = encoding
        self.log = log or logging.getLogger("zmtp.auth")
        self.allow_any = False
        self.allow_addresses: set[str] = set()
        self.deny_addresses: set[str] = set()
        self.passwords: dict[str, dict[str, str]] = {}
        self.certs: dict[str, dict[bytes, bool]] = {}
        self.credentials_providers: dict[str, CredentialsProvider] = {}
        #: The REP socket ZAP requests arrive on, while serving.
        self.zap_socket: Any = None
        #: What serves it (a task, a thread: the backend's kind), while serving.
        self._server: Any = None

    # -- configuring ------------------------------------------------------------------

    def allow(self, *addresses: str) -> None:
        """Only these IP addresses may connect (an allow list replaces a deny list)."""
        if self.deny_addresses:
            raise ValueError("allow() and deny() cannot both be used")
        self.allow_addresses.update(addresses)

    def deny(self, *addresses: str) -> None:
        """These IP addresses may not connect."""
        if self.allow_addresses:
            raise ValueError("allow() and deny() cannot both be used")
        self.deny_addresses.update(addresses)

    def configure_plain(self, domain: str = "*", passwords: dict[str, str] | None = None) -> None:
        """PLAIN for ``domain`` ("*": every domain): user name -> password."""
        self.passwords[domain] = dict(passwords or {})

    def configure_curve(self, domain: str = "*", location: str | os.PathLike[str] = "") -> None:
        """CURVE for ``domain``: the public certificates in directory ``location``,
        or any key with CURVE_ALLOW_ANY."""
        if location == CURVE_ALLOW_ANY:
            self.certs[domain] = {CURVE_ALLOW_ANY.encode(): True}
        else:
            self.certs[domain] = load_certificates(location)

    def configure_curve_callback(
        self, domain: str = "*", credentials_provider: CredentialsProvider | None = None
    ) -> None:
        """CURVE for ``domain``, each key judged by the provider's ``callback(domain, key)``."""
        if credentials_provider is None:
            self.credentials_providers.pop(domain, None)
        else:
            self.credentials_providers[domain] = credentials_provider

    def curve_user_id(self, client_public_key: bytes) -> str:
        """The user id a CURVE client gets: its public key in Z85."""
        return z85_encode(client_public_key).decode("ascii")

    # -- answering --------------------------------------------------------------------

    def _open_zap_socket(self) -> Any:
        """Bind the ZAP endpoint (LINGER 1 ms, as pyzmq's: a reply in flight still leaves)."""
        zap = self.zap_socket = self.context.socket(REP)
        zap.linger = 1
        zap.bind(ZAP_ENDPOINT)
        return zap

    def _close_zap_socket(self) -> None:
        """Free the ZAP endpoint at once."""
        zap, self.zap_socket = self.zap_socket, None
        if zap is not None and not zap.closed:
            zap.close(linger=0)

    async def serve(self, zap: Any) -> None:
        """Answer ZAP requests on a coroutine backend's REP socket, until cancelled."""
        while True:
            request = await zap.recv_multipart()
            await zap.send_multipart(await self.reply_to(request))

    async def reply_to(self, request: list[bytes]) -> list[bytes]:
        """The reply frames for one ZAP request (as a REP socket receives it); a
        coroutine, because a CURVE credentials provider may answer with one."""
        if len(request) < 6 or request[0] != _VERSION:
            self.log.error("malformed ZAP request: %r", request[:6])
            request_id = request[1] if len(request) > 1 else b""
            return [_VERSION, request_id, b"500", b"Malformed request", b"", b""]
        _, request_id, raw_domain, raw_address, _, mechanism, *credentials = request
        domain = raw_domain.decode(self.encoding, "replace")
        address = raw_address.decode(self.encoding, "replace")
        allowed, reason, user_id = self._judge(domain, address, mechanism, credentials)
        if inspect.isawaitable(allowed):
            allowed = bool(await allowed)
            reason = "OK" if allowed else "Unknown key"
        if allowed:
            return [_VERSION, request_id, b"200", b"OK", user_id.encode(self.encoding), b""]
        self.log.debug("ZAP denied %s (%s): %s", address, mechanism.decode(), reason)
        return [_VERSION, request_id, b"400", reason.encode(self.encoding), b"", b""]

    def _judge(
        self, domain: str, address: str, mechanism: bytes, credentials: list[bytes]
    ) -> tuple[bool | Awaitable[bool], str, str]:
        if self.allow_addresses and address not in self.allow_addresses:
            return False, "Address not allowed", ""
        if address in self.deny_addresses:
            return False, "Address denied", ""
        if mechanism == b"NULL":
            return True, "OK", ""
        if mechanism == b"PLAIN" and len(credentials) == 2:
            username, password = (c.decode(self.encoding, "replace") for c in credentials)
            return (*self._plain(domain, username, password), username)
        if mechanism == b"CURVE" and len(credentials) == 1:
            key = credentials[0]
            return (*self._curve(domain, key), self.curve_user_id(key))
        return False, f"Unsupported mechanism {mechanism.decode('latin-1')!r}", ""

    def _plain(self, domain: str, username: str, password: str) -> tuple[bool, str]:
        passwords = self.passwords.get(domain or "*", self.passwords.get("*"))
        if passwords is None:
            return False, "No passwords defined for this domain"
        if username not in passwords or passwords[username] != password:
            return False, "Invalid username or password"
        return True, "OK"

    def _curve(self, domain: str, key: bytes) -> tuple[bool | Awaitable[bool], str]:
        domain = domain or "*"
        provider = self.credentials_providers.get(domain)
        if provider is not None:  # (as pyzmq calls it: the key in Z85; it may be a coroutine)
            verdict = provider.callback(domain, z85_encode(key))
            if inspect.isawaitable(verdict):
                return verdict, ""
            return (True, "OK") if verdict else (False, "Unknown key")
        certs = self.certs.get(domain, self.certs.get("*"))
        if certs is None:
            return False, "Unknown domain"
        if CURVE_ALLOW_ANY.encode() in certs or z85_encode(key) in certs:
            return True, "OK"
        return False, "Unknown key"
