"""JSON as bytes, the way pyzmq's ``send_json``/``recv_json`` put it on the wire."""

from __future__ import annotations

import json
from typing import Any

__all__ = ["dumps", "jsonmod", "loads"]

#: The json module in use (pyzmq's name: it once chose among several).
jsonmod = json


def dumps(o: object, **kwargs: Any) -> bytes:
    """``o`` as UTF-8 JSON (keyword arguments go to :func:`json.dumps`)."""
    return json.dumps(o, **kwargs).encode("utf-8")


def loads(s: bytes | str, **kwargs: Any) -> Any:
    """The object in UTF-8 JSON ``s`` (keyword arguments go to :func:`json.loads`)."""
    if isinstance(s, bytes):
        s = s.decode("utf-8")
    return json.loads(s, **kwargs)
