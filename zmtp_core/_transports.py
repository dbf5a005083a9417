"""What each transport puts between the TCP socket and the Connection.

tcp and ipc: nothing. tls: TLS. ws: ZWS 2.0. wss: ZWS 2.0 over TLS. The
engine asks once per bind/connect (options are read then, as libzmq reads
them) and applies the result to every Connection of that endpoint. TLS needs
an ``ssl.SSLContext``, which the backend builds (reading certificate files is
I/O); ``ssl`` and ``h11`` are imported only for the endpoints that use them.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Callable
from typing import TYPE_CHECKING

from ._connection import Connection
from ._endpoints import Endpoint
from ._errors import SocketError
from ._layer import Layer
from ._options import Options

if TYPE_CHECKING:
    import ssl

__all__ = ["Layering", "layering"]

#: Wraps a new Connection in the layers of its transport.
Layering = Callable[[Connection], Connection | Layer]


def layering(
    endpoint: Endpoint,
    options: Options,
    *,
    server_side: bool,
    context: ssl.SSLContext | None = None,
    random_bytes: Callable[[int], bytes] = os.urandom,
) -> Layering | None:
    """The layers for ``endpoint``'s connections, or None for plain tcp and ipc.

    tls:// and wss:// need ``context``; its absence is EINVAL. ws:// and wss://
    take their upgrade keys and a client's masking keys from ``random_bytes``.
    """
    transport = endpoint.transport
    if transport not in ("tls", "ws", "wss"):
        return None
    tls = None
    if transport in ("tls", "wss"):
        from ._tls import TLSLayer  # noqa: PLC0415 - only for tls:// and wss://

        if context is None:
            raise SocketError(errno.EINVAL, f"{transport}:// needs a TLS context")
        hostname = None if server_side else (options["TLS_HOSTNAME"] or endpoint.host)

        def tls(upper: Connection | Layer) -> Layer:
            return TLSLayer(upper, context, server_side=server_side, hostname=hostname)

    if transport == "tls":
        assert tls is not None
        return tls
    from ._websocket import WebSocketLayer  # noqa: PLC0415 - h11 only for ws:// and wss://

    host = f"[{endpoint.host}]" if endpoint.is_ipv6_literal else endpoint.host

    def websocket(connection: Connection) -> Connection | Layer:
        layer = WebSocketLayer(
            connection,
            server_side=server_side,
            host=host,
            path=endpoint.path,
            random_bytes=random_bytes,
        )
        return layer if tls is None else tls(layer)

    return websocket
