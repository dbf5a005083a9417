"""What each transport puts between the TCP socket and the Connection.

tcp and ipc: nothing. tls: TLS. ws: ZWS 2.0. wss: ZWS 2.0 over TLS. The
backend asks once per bind/connect (options are read then, as libzmq reads
them) and applies the result to every Connection of that endpoint.
"""

from __future__ import annotations

import errno
from collections.abc import Callable

from ._connection import Connection
from ._endpoints import Endpoint
from ._errors import SocketError
from ._layer import Layer
from ._options import Options

__all__ = ["Layering", "layering"]

#: Wraps a new Connection in the layers of its transport.
Layering = Callable[[Connection], Connection | Layer]


def layering(endpoint: Endpoint, options: Options, *, server_side: bool) -> Layering | None:
    """The layers for ``endpoint``'s connections, or None for plain tcp and ipc.

    Raises SocketError (EINVAL) for TLS options that cannot work (no server
    certificate, unreadable files).
    """
    transport = endpoint.transport
    if transport not in ("tls", "ws", "wss"):
        return None
    tls = None
    if transport in ("tls", "wss"):
        from ._tls import TLSLayer, tls_context  # noqa: PLC0415 - only for tls:// and wss://

        try:
            context = tls_context(options, server_side=server_side)
        except ValueError as error:
            raise SocketError(errno.EINVAL, str(error)) from None
        hostname = None if server_side else (options["TLS_HOSTNAME"] or endpoint.host)

        def tls(upper: Connection | Layer) -> Layer:
            return TLSLayer(upper, context, server_side=server_side, hostname=hostname)

    if transport == "tls":
        assert tls is not None
        return tls
    from ._websocket import WebSocketLayer  # noqa: PLC0415 - wsproto only for ws:// and wss://

    host = f"[{endpoint.host}]" if endpoint.is_ipv6_literal else endpoint.host
    max_size = int(options["MAXMSGSIZE"])

    def websocket(connection: Connection) -> Connection | Layer:
        layer = WebSocketLayer(
            connection,
            server_side=server_side,
            host=host,
            path=endpoint.path,
            max_message_size=max_size,
        )
        return layer if tls is None else tls(layer)

    return websocket
