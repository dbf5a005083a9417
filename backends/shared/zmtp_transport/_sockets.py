"""Opening and tuning the raw sockets behind tcp (tls, ws, wss) and ipc endpoints."""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import socket
import tempfile
from dataclasses import dataclass

from zmtp_core import Endpoint, Options, SocketError

__all__ = ["BoundSocket", "describe", "open_listener", "tcp_address", "tune"]


def tune(sock: socket.socket, options: Options, tcp: bool) -> None:
    """Apply the socket options libzmq applies to a transport socket."""
    if options["SNDBUF"] >= 0:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, options["SNDBUF"])
    if options["RCVBUF"] >= 0:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, options["RCVBUF"])
    if not tcp:
        return
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    if options["TOS"]:
        level = socket.IPPROTO_IPV6 if sock.family == socket.AF_INET6 else socket.IPPROTO_IP
        name = socket.IPV6_TCLASS if sock.family == socket.AF_INET6 else socket.IP_TOS
        sock.setsockopt(level, name, options["TOS"])
    if options["TCP_KEEPALIVE"] == 1:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        for option, constant in (
            ("TCP_KEEPALIVE_CNT", "TCP_KEEPCNT"),
            ("TCP_KEEPALIVE_IDLE", "TCP_KEEPIDLE"),
            ("TCP_KEEPALIVE_INTVL", "TCP_KEEPINTVL"),
        ):
            if options[option] > 0 and hasattr(socket, constant):
                sock.setsockopt(socket.IPPROTO_TCP, getattr(socket, constant), options[option])
    if options["TCP_MAXRT"] > 0 and hasattr(socket, "TCP_USER_TIMEOUT"):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_USER_TIMEOUT, options["TCP_MAXRT"])


def tcp_address(
    endpoint: Endpoint, options: Options, *, bind: bool
) -> tuple[socket.AddressFamily, tuple[str, int]]:
    """Resolve a tcp endpoint as libzmq does (IPv6 only with the IPV6 option)."""
    ipv6 = bool(options["IPV6"])
    host = endpoint.host
    if host == "*":
        if not bind:
            raise SocketError(errno.EINVAL, "cannot connect to '*'")
        if ipv6:
            return socket.AF_INET6, ("::", endpoint.port)
        return socket.AF_INET, ("0.0.0.0", endpoint.port)
    if endpoint.is_ipv6_literal and not ipv6:
        raise SocketError(errno.EINVAL, f"{host} is an IPv6 address: set the IPV6 option first")
    family = socket.AF_UNSPEC if ipv6 else socket.AF_INET
    try:
        infos = socket.getaddrinfo(host, endpoint.port, family, socket.SOCK_STREAM)
    except socket.gaierror as error:
        raise SocketError(errno.EINVAL, f"cannot resolve {host!r}: {error}") from None
    info_family, _, _, _, address = infos[0]
    return info_family, (str(address[0]), int(address[1]))


def describe(sock: socket.socket, endpoint: Endpoint) -> str:
    """The endpoint as libzmq reports it in LAST_ENDPOINT."""
    if endpoint.transport == "ipc":
        name = sock.getsockname()
        path = name.decode() if isinstance(name, bytes) else str(name)
        return "ipc://" + ("@" + path[1:] if path.startswith("\0") else path)
    host, port = sock.getsockname()[:2]
    host = f"[{host}]" if ":" in host else host
    path = endpoint.path if endpoint.transport in ("ws", "wss") else ""
    return f"{endpoint.transport}://{host}:{port}{path}"


def _unlink_if_stale(path: str) -> None:
    """Remove an ipc socket file nobody listens on any more; refuse a live one."""
    if path.startswith("\0") or not os.path.exists(path):
        return
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        probe.connect(path)
    except (ConnectionRefusedError, FileNotFoundError):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
        return
    except OSError:
        return
    finally:
        probe.close()
    raise SocketError(errno.EADDRINUSE, f"ipc path {path} is in use by a live socket")


class BindFailed(SocketError):
    """A bind that failed after its OS socket existed (``fd``: that socket's
    number, closed since; the monitor reports it as libzmq does)."""

    def __init__(self, errno: int, message: str, fd: int) -> None:
        super().__init__(errno, message)
        self.fd = fd


@dataclass
class BoundSocket:
    """A listening socket and what to clean up after it."""

    sock: socket.socket
    last_endpoint: str
    path: str | None = None
    tempdir: str | None = None

    def cleanup(self) -> None:
        """Remove the ipc file (and the temporary directory of ``ipc://*``)."""
        if self.path is not None:
            with contextlib.suppress(OSError):
                os.unlink(self.path)
            self.path = None
        if self.tempdir is not None:
            shutil.rmtree(self.tempdir, ignore_errors=True)
            self.tempdir = None


def open_listener(endpoint: Endpoint, options: Options) -> BoundSocket:
    """A non-blocking listening socket for a tcp or ipc endpoint."""
    path: str | None = None
    tempdir: str | None = None
    if endpoint.transport == "ipc":
        address: str | tuple[str, int] = endpoint.path
        if endpoint.path == "*":
            tempdir = tempfile.mkdtemp(prefix="zmtp-")
            address = os.path.join(tempdir, "socket")
        assert isinstance(address, str)
        _unlink_if_stale(address)
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        path = None if address.startswith("\0") else address
    else:
        family, address = tcp_address(endpoint, options, bind=True)
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    bound = BoundSocket(sock, "", None, tempdir)
    try:
        sock.bind(address)
        sock.listen(options["BACKLOG"])
    except OSError as error:
        fd = sock.fileno()
        sock.close()
        bound.cleanup()
        raise BindFailed(
            error.errno or errno.EINVAL, f"cannot bind {address!r}: {error.strerror}", fd
        ) from None
    bound.path = path  # ours to remove from now on
    sock.setblocking(False)
    bound.last_endpoint = describe(sock, endpoint)
    return bound
