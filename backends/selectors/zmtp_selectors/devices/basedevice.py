"""pyzmq's devices: a proxy whose sockets are made, bound and run in the
background (a thread or a process), configured beforehand from the caller."""

from __future__ import annotations

import multiprocessing
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from zmtp_transport.constants import ENOTSOCK, ETERM, PUSH, QUEUE
from zmtp_transport.errors import ZMQBindError, ZMQError

from .._context import Context
from .._proxy import proxy
from .._socket import Socket

__all__ = ["BackgroundDevice", "Device", "ProcessDevice", "ThreadDevice"]


@dataclass
class SocketPlan:
    """One socket of a device, as configured before it exists."""

    type: int
    options: list[tuple[int, Any]] = field(default_factory=list)
    binds: list[str] = field(default_factory=list)
    connects: list[str] = field(default_factory=list)

    def make(self, context: Context) -> Socket:
        return self.apply(context.socket(self.type))

    def apply(self, sock: Socket) -> Socket:
        """Set the options, then bind and connect, as planned."""
        for option, value in self.options:  # first: ROUTING_ID must precede connect
            sock.setsockopt(option, value)
        for endpoint in self.binds:
            sock.bind(endpoint)
        for endpoint in self.connects:
            sock.connect(endpoint)
        return sock


def configuring(
    role: str,
) -> tuple[
    Callable[[Device, str], None],
    Callable[[Device, str], None],
    Callable[[Device, int, Any], None],
    Callable[..., int],
]:
    """pyzmq's four configuring methods of one socket of a device: ``bind_<role>``,
    ``connect_<role>``, ``setsockopt_<role>`` and ``bind_<role>_to_random_port``."""

    def bind(self: Device, addr: str) -> None:
        self._plans[role].binds.append(addr)

    def connect(self: Device, addr: str) -> None:
        self._plans[role].connects.append(addr)

    def setsockopt(self: Device, opt: int, value: Any) -> None:
        self._plans[role].options.append((opt, value))

    def bind_to_random_port(self: Device, addr: str, *args: int, **kwargs: int) -> int:
        return self._bind_random(role, addr, *args, **kwargs)

    return bind, connect, setsockopt, bind_to_random_port


class Device:
    """A proxy between an "in" and an "out" socket, run by :meth:`start`.

    ``run()`` here blocks; :class:`ThreadDevice` and :class:`ProcessDevice`
    run it in the background. The device ends, closing its sockets, when its
    context is terminated.
    """

    #: Where the sockets come from: the shared instance (a process device makes its own).
    context_factory: ClassVar[Callable[[], Context]] = Context.instance

    def __init__(
        self, device_type: int = QUEUE, in_type: int | None = None, out_type: int | None = None
    ) -> None:
        if in_type is None:
            raise TypeError("in_type must be specified")
        if out_type is None:
            raise TypeError("out_type must be specified")
        self.device_type, self.in_type, self.out_type = device_type, in_type, out_type
        self._plans = {"in": SocketPlan(in_type), "out": SocketPlan(out_type)}
        self._sockets: list[Socket] = []
        self._random_addrs: list[str] = []
        self.daemon = True
        self.done = False

    # -- configuring, before start() ------------------------------------------------

    bind_in, connect_in, setsockopt_in, bind_in_to_random_port = configuring("in")
    bind_out, connect_out, setsockopt_out, bind_out_to_random_port = configuring("out")

    def _bind_random(self, role: str, addr: str, *args: int, **kwargs: int) -> int:
        """Find a free port now (the socket binds it when the device starts)."""
        with Context() as context, context.socket(PUSH) as finder:
            for _ in range(5):
                port = finder.bind_to_random_port(addr, *args, **kwargs)
                endpoint = f"{addr}:{port}"
                if endpoint not in self._random_addrs:
                    break
            else:
                raise ZMQBindError("could not reserve a random port")
        self._random_addrs.append(endpoint)
        self._plans[role].binds.append(endpoint)
        return port

    # -- running --------------------------------------------------------------------

    def _setup_sockets(self) -> tuple[Socket, Socket]:
        context = self.context_factory()  # type: ignore[misc]  # (pyzmq's class attribute)
        self._context = context
        ins = self._plans["in"].make(context)
        self._sockets.append(ins)
        # A single-socket device (out_type < 0): the "out" plan is for that socket too.
        outs = (
            self._plans["out"].apply(ins) if self.out_type < 0 else self._plans["out"].make(context)
        )
        if outs is not ins:
            self._sockets.append(outs)
        return ins, outs

    def _extra_socket(self, role: str) -> Socket:
        sock = self._plans[role].make(self._context)
        self._sockets.append(sock)
        return sock

    def run_device(self) -> None:
        ins, outs = self._setup_sockets()
        proxy(ins, outs)

    def run(self) -> None:
        """Run the device here until its context ends."""
        try:
            self.run_device()
        except ZMQError as error:
            if error.errno not in (ETERM, ENOTSOCK):  # the context ended: a clean stop
                raise
        finally:
            self.done = True
            for sock in self._sockets:
                if not sock.closed:
                    sock.close()

    def start(self) -> None:
        """Run the device (blocking, for this class)."""
        self.run()

    def join(self, timeout: float | None = None) -> None:
        """Wait until the device is done, at most ``timeout`` seconds."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self.done and (deadline is None or time.monotonic() < deadline):
            time.sleep(0.001)


class BackgroundDevice(Device):
    """A device that :meth:`start` launches in the background."""

    _launch_class: ClassVar[Any] = None
    launcher: Any = None

    def start(self) -> None:
        self.launcher = self._launch_class(target=self.run)
        self.launcher.daemon = self.daemon
        self.launcher.start()

    def join(self, timeout: float | None = None) -> None:
        self.launcher.join(timeout=timeout)


class ThreadDevice(BackgroundDevice):
    """A device in a thread of this process (sockets from ``Context.instance()``)."""

    _launch_class = threading.Thread


class ProcessDevice(BackgroundDevice):
    """A device in a child process, with a context of its own."""

    _launch_class = multiprocessing.Process
    context_factory: ClassVar[Callable[[], Context]] = Context
