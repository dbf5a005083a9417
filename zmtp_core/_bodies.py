"""Large-frame buffers, used again where we can.

A fresh buffer of a few hundred KiB costs more than its bytes: its pages are
new to the process and each faults on first write (tens of microseconds for
256 KiB, as much as the kernel's copy into it). So a socket keeps a few bodies
the application is done with, for the next frame of the same size. A body
comes back in one of two ways: the application copied it out
(:meth:`BodyPool.recycle`), or it was handed out as is (:meth:`BodyPool.lend`)
and nothing refers to it any more, which CPython's reference count tells
exactly (a memoryview, a Frame or a numpy array over it all hold a reference).

What is kept is bounded: about POOL_SIZE free bodies and POOL_SIZE lent ones.
Only the socket's reader takes, one thread at a time; giving back only appends,
so it may come from the application's thread.
"""

from __future__ import annotations

import sys

__all__ = ["POOL_SIZE", "Body", "BodyPool"]

#: Free bodies kept, and lent bodies watched, per socket.
POOL_SIZE = 4

#: Reference counts say when the application let go only on CPython with its GIL.
_COUNTS_REFERENCES = (
    sys.implementation.name == "cpython" and getattr(sys, "_is_gil_enabled", lambda: True)()
)


class Body(bytearray):
    """A large frame's own buffer, as the reader allocated it (so it may be reused)."""

    __slots__ = ()


class BodyPool:
    """Bodies to use again, shared by a socket's connections.

    ``kind`` is the class of the bodies (a bytearray subclass made as bytearray is,
    from a size or a buffer): an embedder may hand the application its own frame
    objects, read into without a copy (pyzmq's Frame is one).
    """

    __slots__ = ("_free", "_lent", "kind")

    def __init__(self, kind: type[Body] = Body) -> None:
        self.kind = kind
        self._free: list[Body] = []
        self._lent: list[Body] = []

    def take(self, size: int) -> Body:
        """A body of ``size`` bytes: a free one, a lent one let go, or a new one."""
        free = self._free
        for index in range(len(free)):
            if len(free[index]) == size:
                return free.pop(index)
        lent = self._lent
        if len(lent) > POOL_SIZE:
            del lent[: len(lent) - POOL_SIZE]  # the oldest are the application's alone
        for index in range(len(lent)):
            # Two references, the list's and getrefcount's own: nobody else holds it.
            if len(lent[index]) == size and sys.getrefcount(lent[index]) == 2:
                return lent.pop(index)
        return self.kind(size)

    def recycle(self, body: Body) -> None:
        """The application copied ``body`` out and keeps no reference to it."""
        if len(self._free) < POOL_SIZE:
            self._free.append(body)

    def lend(self, body: Body) -> None:
        """``body`` goes to the application as is: reuse it once it is let go."""
        if _COUNTS_REFERENCES:
            self._lent.append(body)
