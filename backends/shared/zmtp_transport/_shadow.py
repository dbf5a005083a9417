"""Shadows: pyzmq's second Python object over the same socket or context.

pyzmq users move a socket between its blocking and its async API with
``zmq.asyncio.Socket.shadow(sock.underlying)`` (jupyter_client does, in both
directions), copy one with ``copy.copy``, or wrap a context to make sockets of
the other kind. Here a shadow is a *view*: an object of the requested class
whose state is the original's. What the view does not hold itself it reads
from the original, and what it assigns goes there too, so a view and its
original are one socket. A view of another backend's socket (a blocking view
of an asyncio socket, say) adds only its own way of waiting, which watches the
original's ``FD``; the original's backend keeps doing the I/O.

``underlying`` is an integer, as pyzmq's address: it finds the original while
it lives.
"""

from __future__ import annotations

import errno
from typing import Any, Self
from weakref import WeakValueDictionary

from zmtp_core import SocketError

__all__ = ["Shadowable", "original_of", "register", "underlying"]

_originals: WeakValueDictionary[int, Any] = WeakValueDictionary()


def register(original: object) -> None:
    """``original`` (a socket or a context, not a view) can be shadowed by number."""
    _originals[id(original)] = original


def underlying(obj: object) -> int:
    """The number that finds ``obj``'s original (pyzmq's ``underlying``)."""
    return id(obj.__dict__.get("_original") or obj)


def original_of(target: object, kind: type) -> Any:
    """What a shadow of ``target`` (an object or an ``underlying`` number) shows:
    the original ``kind`` object, never a view of it."""
    if isinstance(target, int) and not isinstance(target, bool):
        found = _originals.get(target)
        if found is None:
            raise SocketError(errno.EFAULT, f"no zmtp {kind.__name__} has underlying {target}")
        return found
    if not isinstance(target, kind):
        raise TypeError(f"cannot shadow {type(target).__name__}: a {kind.__name__} is needed")
    return target.__dict__.get("_original") or target


class Shadowable:
    """What sockets and contexts have alike as pyzmq's shadows (views)."""

    #: What a view was made from (pyzmq's name); None for an original.
    _shadow_obj: Any = None

    @classmethod
    def shadow(cls, address: Any) -> Self:
        """A view of what ``address`` names (the object, or its ``underlying``), with
        this class's API: the same socket (or context)."""
        return cls(shadow=address)  # type: ignore[call-arg]

    @property
    def underlying(self) -> int:
        """A number that finds the original (pyzmq's address of the libzmq object)."""
        return underlying(self)

    @property
    def _shadow(self) -> bool:
        return "_original" in self.__dict__

    def _set_own(self, name: str, value: Any) -> None:
        """Set a plain attribute; a view's state is the original's, except what the
        view holds itself (its own way of waiting)."""
        state = self.__dict__
        if "_original" in state and name not in state:
            setattr(state["_original"], name, value)
        else:
            object.__setattr__(self, name, value)

    def _show(self, target: Any, kind: type) -> Any:
        """Make this new object a view of what ``target`` names; returns the original."""
        state = self.__dict__
        state["_original"] = original = original_of(target, kind)
        state["_shadow_obj"] = target
        return original

    def __copy__(self) -> Self:
        """A copy is a shadow, as in pyzmq."""
        return type(self).shadow(self)

    def __deepcopy__(self, memo: Any) -> Self:
        return type(self).shadow(self)
