"""inproc://: two engines of one process joined pipe to pipe, with no bytes and no
OS socket. Each engine has its end (``engine.inproc``); the backend gives it
its lock and wake-up call, keeps the bound names, and runs the transfers."""

from ._inproc import InprocEnd, InprocLink

__all__ = ["InprocEnd", "InprocLink"]
