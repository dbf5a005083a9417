"""tls://: ZMTP 3.x inside TLS 1.2 or 1.3, with ``ssl.SSLObject`` over memory BIOs.

The TLS handshake runs first; the ZMTP greeting waits for it. A failed
handshake (unknown CA, wrong hostname, expired certificate, a client without
the certificate the server requires) ends the connection with the reason
OpenSSL gives, which the application sees like any other closing reason.
"""

from __future__ import annotations

import ssl

from ._connection import Connection
from ._layer import RECEIVE_SIZE, Layer
from ._sendqueue import Buffer

__all__ = ["TLSLayer"]


class TLSLayer(Layer):
    """TLS between the socket and the layer (or Connection) above."""

    def __init__(
        self,
        upper: Connection | Layer,
        context: ssl.SSLContext,
        *,
        server_side: bool,
        hostname: str | None = None,
    ) -> None:
        super().__init__(upper)
        self._incoming = ssl.MemoryBIO()
        self._outgoing = ssl.MemoryBIO()
        self._tls = context.wrap_bio(
            self._incoming, self._outgoing, server_side=server_side, server_hostname=hostname
        )
        self._handshake()  # a client's hello leaves at once

    def _take(self, data: bytes | bytearray | memoryview) -> None:
        if data:
            self._incoming.write(data)
        else:
            self._incoming.write_eof()
        if not self.open:
            self._handshake()
        if self.open:
            self._read_plain()

    def _handshake(self) -> None:
        try:
            self._tls.do_handshake()
        except ssl.SSLWantReadError:
            pass
        except ssl.SSLEOFError:
            self._fail("TLS handshake failed: the peer closed the connection")
        except (ssl.SSLError, ValueError) as error:
            self._fail(f"TLS handshake failed: {_describe(error)}")
        else:
            self.open = True
        self._collect()

    def _read_plain(self) -> None:
        while not self.connection.closed:
            try:
                plain = self._tls.read(RECEIVE_SIZE)
            except ssl.SSLWantReadError:
                break
            except (ssl.SSLZeroReturnError, ssl.SSLEOFError):
                plain = b""  # close_notify, or a plain TCP close: the end either way
            except ssl.SSLError as error:
                self._fail(f"TLS failed: {_describe(error)}")
                break
            self._pass_up(plain)
            if not plain:
                break
        self._collect()  # (TLS 1.3 may answer: key updates, alerts)

    def _produce(self) -> None:
        if self.open and not self.connection.closed:
            try:
                self._pull_upper(self._encrypt)
            except ssl.SSLError as error:
                self._fail(f"TLS failed: {_describe(error)}")
        self._collect()

    def _encrypt(self, buffers: list[Buffer]) -> None:
        self._tls.write(b"".join(buffers) if len(buffers) > 1 else buffers[0])

    def _collect(self) -> None:
        if self._outgoing.pending:
            self._emit(self._outgoing.read())


def _describe(error: Exception) -> str:
    """OpenSSL's words: "certificate has expired", "peer did not return a certificate"."""
    verify_message = getattr(error, "verify_message", None)
    if verify_message:
        return str(verify_message)
    reason = getattr(error, "reason", None)  # "PEER_DID_NOT_RETURN_A_CERTIFICATE"
    return reason.replace("_", " ").lower() if isinstance(reason, str) else str(error)
