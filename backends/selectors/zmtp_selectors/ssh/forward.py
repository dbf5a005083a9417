"""pyzmq's ``zmq.ssh.forward``: a local port relayed through a paramiko transport."""

from __future__ import annotations

import contextlib
import select
import socket
import threading
from typing import Any

__all__ = ["forward_tunnel"]

#: The most one relay reads at a time.
CHUNK = 64 * 1024


def forward_tunnel(local_port: int, remote_host: str, remote_port: int, transport: Any) -> None:
    """Serve 127.0.0.1:``local_port`` for good: each connection becomes a
    ``direct-tcpip`` channel of ``transport`` (a paramiko Transport) to
    ``remote_host``:``remote_port`` as seen from the ssh server."""
    serve(socket.create_server(("127.0.0.1", local_port)), remote_host, remote_port, transport)


def serve(listener: socket.socket, remote_host: str, remote_port: int, transport: Any) -> None:
    """:func:`forward_tunnel` on a listening socket already bound."""
    with listener:
        while True:
            connection, peer = listener.accept()
            try:
                channel = transport.open_channel("direct-tcpip", (remote_host, remote_port), peer)
            except Exception:  # (the server refused this one: the others go on)
                connection.close()
                continue
            threading.Thread(target=_relay, args=(connection, channel), daemon=True).start()


def _relay(connection: socket.socket, channel: Any) -> None:
    """Copy bytes both ways until either side closes."""
    with contextlib.closing(channel), connection:
        while True:
            readable, _, _ = select.select([connection, channel], [], [])
            for source, sink in ((connection, channel), (channel, connection)):
                if source in readable:
                    data = source.recv(CHUNK)
                    if not data:
                        return
                    sink.sendall(data)
