"""The descriptor behind ``Socket.FD``: how another event loop learns to look.

As libzmq's, it is edge-triggered: it becomes readable when the socket's
events may have changed, and reading ``EVENTS`` clears it. A program that
wakes on it reads ``EVENTS`` and works until ``POLLIN`` (or ``POLLOUT``) is
gone; the descriptor says nothing more until something changes again.
"""

from __future__ import annotations

import contextlib
import os

__all__ = ["ReadySignal"]


class ReadySignal:
    """A Linux eventfd (a pipe elsewhere) raised by :meth:`set`, lowered by :meth:`clear`."""

    def __init__(self) -> None:
        if hasattr(os, "eventfd"):
            self.fd = os.eventfd(0, os.EFD_NONBLOCK | os.EFD_CLOEXEC)
            self._write_fd = self.fd
        else:  # pragma: no cover - not Linux
            self.fd, self._write_fd = os.pipe()
            for fd in (self.fd, self._write_fd):
                os.set_blocking(fd, False)
        #: Whether a set() wrote since the last clear() (no lock: see clear()).
        self._raised = False
        self.set()  # a first look costs nothing and misses nothing

    def set(self) -> None:
        """Something changed (any thread): make the descriptor readable. (A
        descriptor that somebody else closed - an IOLoop's close(all_fds=True) of
        an FD it was given as a number - is left alone.)"""
        if not self._raised:
            self._raised = True
            with contextlib.suppress(OSError):
                os.write(self._write_fd, b"\1\0\0\0\0\0\0\0")

    def clear(self) -> None:
        """The application is about to look at EVENTS.

        The descriptor is drained before the flag drops: a set() that saw the
        flag still up came after its change, which the look that follows sees;
        one that sees it down writes again. Either way no change goes unseen.
        """
        if self._raised:
            with contextlib.suppress(BlockingIOError):
                while os.read(self.fd, 4096) and self._write_fd != self.fd:
                    pass  # (a pipe: read until empty)
            self._raised = False

    def close(self) -> None:
        """The socket closed: the descriptor says nothing more. It stays open until
        this object is gone: a thread that delivers to the socket at this moment
        may still raise it, and must not write into a descriptor number the
        process has since reused."""
        self._raised = True  # (set() writes no more)

    def __del__(self) -> None:
        with contextlib.suppress(OSError, AttributeError):
            os.close(self.fd)
            if self._write_fd != self.fd:
                os.close(self._write_fd)
