"""Devices around ``proxy``: with a capture socket ("mon"), and steerable
through a control socket ("ctrl")."""

from __future__ import annotations

from zmtp_transport.constants import PUB, QUEUE

from .._proxy import proxy, proxy_steerable
from .basedevice import Device, ProcessDevice, SocketPlan, ThreadDevice, configuring

__all__ = [
    "ProcessProxy",
    "ProcessProxySteerable",
    "Proxy",
    "ProxySteerable",
    "ThreadProxy",
    "ThreadProxySteerable",
]


class Proxy(Device):
    """A device whose "mon" socket (PUB by default) gets a copy of every message."""

    def __init__(self, in_type: int, out_type: int, mon_type: int = PUB) -> None:
        super().__init__(QUEUE, in_type, out_type)
        self.mon_type = mon_type
        self._plans["mon"] = SocketPlan(mon_type)

    bind_mon, connect_mon, setsockopt_mon, bind_mon_to_random_port = configuring("mon")

    def run_device(self) -> None:
        ins, outs = self._setup_sockets()
        proxy(ins, outs, self._extra_socket("mon"))


class ThreadProxy(Proxy, ThreadDevice):
    """A :class:`Proxy` in a thread."""


class ProcessProxy(Proxy, ProcessDevice):
    """A :class:`Proxy` in a child process."""


class ProxySteerable(Proxy):
    """A :class:`Proxy` that a "ctrl" socket pauses, resumes, asks for
    statistics and terminates."""

    def __init__(
        self, in_type: int, out_type: int, mon_type: int = PUB, ctrl_type: int | None = None
    ) -> None:
        super().__init__(in_type, out_type, mon_type)
        if ctrl_type is None:
            raise TypeError("ctrl_type must be specified")
        self.ctrl_type = ctrl_type
        self._plans["ctrl"] = SocketPlan(ctrl_type)

    bind_ctrl, connect_ctrl, setsockopt_ctrl, bind_ctrl_to_random_port = configuring("ctrl")

    def run_device(self) -> None:
        ins, outs = self._setup_sockets()
        proxy_steerable(ins, outs, self._extra_socket("mon"), self._extra_socket("ctrl"))


class ThreadProxySteerable(ProxySteerable, ThreadDevice):
    """A :class:`ProxySteerable` in a thread."""


class ProcessProxySteerable(ProxySteerable, ProcessDevice):
    """A :class:`ProxySteerable` in a child process."""
