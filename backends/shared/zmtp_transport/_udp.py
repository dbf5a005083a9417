"""udp:// sockets for RADIO (sends) and DISH (binds), set up as libzmq sets them up.

A DISH binds the address it names; for a multicast group it binds the group's
port (with SO_REUSEPORT, so that several DISHes can share it) and joins the
group on the interface named before ";" (any, without one). A RADIO's socket
is connected to the group or address: each ``sendmsg`` is one datagram; for
multicast it sends from the named interface, with MULTICAST_LOOP and
MULTICAST_HOPS. IPv4 only (with the IPV6 option, IPv6 unicast too).
"""

from __future__ import annotations

import errno
import ipaddress
import socket

from zmtp_core import Endpoint, Options, SocketError

from ._sockets import BindFailed, tcp_address

__all__ = ["open_udp_receiver", "open_udp_sender"]


def _address(
    endpoint: Endpoint, options: Options, *, bind: bool
) -> tuple[socket.AddressFamily, tuple[str, int], bool]:
    family, address = tcp_address(endpoint, options, bind=bind)
    return family, address, ipaddress.ip_address(address[0]).is_multicast


def _interface(endpoint: Endpoint) -> bytes:
    """The IPv4 interface address to join or send on (INADDR_ANY if none was named)."""
    name = endpoint.interface or "0.0.0.0"
    if name == "*":
        name = "0.0.0.0"
    try:
        return socket.inet_aton(socket.gethostbyname(name))
    except OSError:
        raise SocketError(errno.ENODEV, f"no interface {name!r} for {endpoint.host}") from None


def open_udp_receiver(endpoint: Endpoint, options: Options) -> socket.socket:
    """A DISH's bound, non-blocking UDP socket (a member of the group, for multicast)."""
    family, address, multicast = _address(endpoint, options, bind=True)
    sock = socket.socket(family, socket.SOCK_DGRAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if multicast:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind(address)
        if multicast:
            if family != socket.AF_INET:
                raise OSError(errno.EAFNOSUPPORT, "IPv6 multicast is not supported by zmtp")
            membership = socket.inet_aton(address[0]) + _interface(endpoint)
            sock.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, membership)
    except OSError as error:
        fd = sock.fileno()
        sock.close()
        raise BindFailed(
            error.errno or errno.EINVAL, f"cannot bind {address!r}: {error.strerror}", fd
        ) from None
    sock.setblocking(False)
    return sock


def open_udp_sender(endpoint: Endpoint, options: Options) -> socket.socket:
    """A RADIO's non-blocking UDP socket, connected to the group or address."""
    family, address, multicast = _address(endpoint, options, bind=False)
    sock = socket.socket(family, socket.SOCK_DGRAM)
    try:
        sock.setblocking(False)
        if multicast and family == socket.AF_INET:
            loop = 1 if options["MULTICAST_LOOP"] else 0
            sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP, loop)
            sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, options["MULTICAST_HOPS"])
            sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, _interface(endpoint))
        sock.connect(address)
    except OSError:
        sock.close()
        raise
    return sock
