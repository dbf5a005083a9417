"""Endpoint strings, parsed once for every backend: tcp, ipc, inproc, tls, ws, wss, udp.

Parsing is pure; opening the socket is the backend's job. Errors are libzmq's:
EPROTONOSUPPORT for an unknown transport, EINVAL for a malformed address.
"""

from __future__ import annotations

import errno
from dataclasses import dataclass

from ._errors import SocketError

__all__ = ["IPC_PATH_MAX_LEN", "OVER_TCP", "TRANSPORTS", "Endpoint", "parse_endpoint"]

#: The longest ipc path a Unix socket address holds (sockaddr_un.sun_path, less its NUL).
IPC_PATH_MAX_LEN = 107

TRANSPORTS = ("tcp", "ipc", "inproc", "tls", "ws", "wss", "udp")
#: The transports that run over a TCP connection (with layers above it for some).
OVER_TCP = frozenset({"tcp", "tls", "ws", "wss"})


@dataclass(frozen=True, slots=True)
class Endpoint:
    """A parsed endpoint.

    tcp, tls: ``host`` ("*" for every interface, brackets removed from IPv6)
    and ``port`` (0 for "*"); ws, wss: the same and the HTTP ``path`` ("/" when
    not given). ipc: ``path`` ("\\0name" for the abstract ``@name``, "*" for a
    fresh temporary path). inproc: ``path`` is the name. udp: ``host`` and
    ``port`` (a multicast group, or a unicast address), and the ``interface``
    named before a ";" (the one to join a group on or send from; "" for any).
    """

    transport: str
    host: str = ""
    port: int = 0
    path: str = ""
    interface: str = ""

    @property
    def is_ipv6_literal(self) -> bool:
        return ":" in self.host

    @property
    def over_tcp(self) -> bool:
        return self.transport in OVER_TCP


def parse_endpoint(text: str) -> Endpoint:
    """Parse ``transport://address`` as libzmq does."""
    transport, separator, address = text.partition("://")
    if not separator:
        raise SocketError(errno.EINVAL, f"invalid endpoint {text!r}: expected transport://address")
    if transport not in TRANSPORTS:
        raise SocketError(errno.EPROTONOSUPPORT, f"transport {transport!r} is not supported")
    if not address:
        raise SocketError(errno.EINVAL, f"invalid endpoint {text!r}: empty address")
    if transport in ("ws", "wss"):
        address, slash, path = address.partition("/")
        return Endpoint(transport, *_host_port(text, address), path=slash + path or "/")
    if transport in ("tcp", "tls"):
        return Endpoint(transport, *_host_port(text, address))
    if transport == "udp":
        interface, _, address = address.rpartition(";")
        return Endpoint("udp", *_host_port(text, address), interface=interface)
    if transport == "ipc":
        path = "\0" + address[1:] if address.startswith("@") else address
        if len(path.encode()) > IPC_PATH_MAX_LEN:
            raise SocketError(
                errno.ENAMETOOLONG,
                f"ipc path {address!r} is longer than {IPC_PATH_MAX_LEN} bytes (sun_path)",
            )
        return Endpoint("ipc", path=path)
    return Endpoint("inproc", path=address)


def _host_port(text: str, address: str) -> tuple[str, int]:
    # A connect may name its source ("src;dst"); zmtp connects from anywhere.
    address = address.rpartition(";")[2]
    host, colon, port_text = address.rpartition(":")
    if not colon or not host:
        raise SocketError(errno.EINVAL, f"invalid endpoint {text!r}: expected host:port")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    elif ":" in host:
        raise SocketError(errno.EINVAL, f"invalid endpoint {text!r}: put IPv6 addresses in []")
    if port_text == "*":
        port = 0
    else:
        try:
            port = int(port_text)
        except ValueError:
            raise SocketError(errno.EINVAL, f"invalid port in {text!r}") from None
        if not 0 <= port <= 65535:
            raise SocketError(errno.EINVAL, f"port out of range in {text!r}")
    return host, port
