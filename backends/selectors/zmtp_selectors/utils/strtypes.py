"""pyzmq's ``zmq.utils.strtypes`` (deprecated there since pyzmq 23): text and bytes."""

from __future__ import annotations

import builtins
import warnings

__all__ = ["asbytes", "b", "basestring", "bytes", "cast_bytes", "cast_unicode", "u", "unicode"]

bytes = builtins.bytes
unicode = str
basestring = (str,)


def cast_bytes(s: str | builtins.bytes, encoding: str = "utf8", errors: str = "strict") -> bytes:
    """``s`` as bytes (text is encoded)."""
    _deprecated()
    if isinstance(s, builtins.bytes):
        return s
    if isinstance(s, str):
        return s.encode(encoding, errors)
    raise TypeError(f"expected text or bytes, got {s!r}")


def cast_unicode(s: str | builtins.bytes, encoding: str = "utf8", errors: str = "strict") -> str:
    """``s`` as text (bytes are decoded)."""
    _deprecated()
    if isinstance(s, builtins.bytes):
        return s.decode(encoding, errors)
    if isinstance(s, str):
        return s
    raise TypeError(f"expected text or bytes, got {s!r}")


b = asbytes = cast_bytes
u = cast_unicode


def _deprecated() -> None:
    warnings.warn("zmq.utils.strtypes is deprecated, as in pyzmq 23", DeprecationWarning, 3)
