"""A ZeroMQ ROUTER serving many peers from a plain ``selectors`` loop: zmtp_core alone.

No backend, no thread, no zmtp_transport: this page is the whole backend. The
``SocketEngine`` is the socket (routing, handshakes, backpressure, heartbeats);
the loop below owns the OS sockets and does only four things:

1. accept connections and tell the engine (``engine.accepted``);
2. read with ``recv_into`` into the buffer the engine hands out, and write the
   scatter lists it hands out with one ``sendmsg``, reporting both counts;
3. carry out what the engine asks with ``engine.take_actions()``: write a socket,
   watch one for reading or writing, drop one;
4. wake up for ``engine.next_deadline`` and call ``engine.handle_timer``.

    python examples/router_loop.py              # an echo ROUTER on a free port
    python examples/router_loop.py --selftest   # three pyzmq DEALERs check it
"""

from __future__ import annotations

import argparse
import contextlib
import os
import selectors
import socket
import subprocess
import sys
import time

from zmtp_core import PENDING, Drop, SocketEngine, Watch, Write, parse_endpoint


class RouterLoop:
    """An echo ROUTER: every message goes back to the peer that sent it."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.engine = SocketEngine("ROUTER")
        self.selector = selectors.DefaultSelector()
        self.server = socket.create_server((host, port))
        self.server.setblocking(False)
        self.endpoint = f"tcp://{host}:{self.server.getsockname()[1]}"
        # The engine does not open sockets: we did, and tell it what we listen on.
        self.listener = self.engine.bind(parse_endpoint(self.endpoint), self.endpoint)
        self.selector.register(self.server, selectors.EVENT_READ)

    def run_once(self, timeout: float = 0.1) -> None:
        """Wait for readiness (or the engine's next deadline), then serve what is ready."""
        deadline = self.engine.next_deadline
        if deadline is not None:
            timeout = max(0.0, min(timeout, deadline - time.monotonic()))
        for key, events in self.selector.select(timeout):
            sock = key.fileobj
            assert isinstance(sock, socket.socket)
            if sock is self.server:
                self.accept()
                continue
            if events & selectors.EVENT_WRITE:
                self.write(sock)  # first: it frees kernel buffers
            if events & selectors.EVENT_READ:
                self.read(sock)
        deadline = self.engine.next_deadline
        if deadline is not None and (deadline == PENDING or deadline <= time.monotonic()):
            self.engine.handle_timer(time.monotonic())  # handshake timeouts, heartbeats
        self.echo()
        self.carry_out()

    def accept(self) -> None:
        while True:
            try:
                sock, _ = self.server.accept()
            except BlockingIOError:
                return
            sock.setblocking(False)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.engine.accepted(sock, self.listener)  # the handle is the socket itself
            self.carry_out()

    def read(self, sock: socket.socket) -> None:
        while sock in self.engine.connections:
            view = self.engine.receive_buffer(sock)  # large bodies land in their own buffer
            try:
                count = sock.recv_into(view)
            except BlockingIOError:
                return
            except OSError:
                count = 0  # a reset ends the input like a close
            offered = len(view)
            del view  # (a large body nobody views grows in place)
            if not self.engine.received(sock, count) or count < offered:
                return  # (paused at RCVHWM, closed, or the kernel is empty)

    def write(self, sock: socket.socket) -> None:
        while buffers := self.engine.buffers_to_send(sock):
            try:
                count = sock.sendmsg(buffers)  # bodies >= 8 KiB go by reference
            except BlockingIOError:
                count = 0
            except OSError as error:
                self.engine.connection_lost(sock, str(error))
                return
            if not self.engine.sent(sock, count):
                return  # the kernel is full: the engine asked to watch for writability

    def echo(self) -> None:
        """The application: a ROUTER receives [id, *frames]; sending it back routes it."""
        while (frames := self.engine.try_recv()) is not None:
            self.engine.send(frames)

    def carry_out(self) -> None:
        """Do what the engine asked, in order, until it asks for nothing more."""
        while self.engine.outbox.pending:
            for action in self.engine.take_actions():
                match action:
                    case Write(handle=socket.socket() as sock):
                        self.write(sock)
                    case Watch(handle=socket.socket() as sock, read=read, write=write):
                        events = (selectors.EVENT_READ * read) | (selectors.EVENT_WRITE * write)
                        if sock in self.selector.get_map():
                            self.selector.unregister(sock)
                        if events:
                            self.selector.register(sock, events)
                    case Drop(handle=socket.socket() as sock, farewell=farewell):
                        if sock in self.selector.get_map():
                            self.selector.unregister(sock)
                        with contextlib.suppress(OSError):
                            sock.sendmsg(farewell)  # (an ERROR command, best effort)
                        sock.close()  # (the engine has forgotten it already)

    def close(self) -> None:
        self.engine.close(linger=0)
        self.carry_out()
        self.selector.close()
        self.server.close()


# -- the self-test: three pyzmq DEALER processes, every reply checked byte for byte ------

SIZES = [0, 1, 100, 255, 256, 4096, 8191, 8192, 65536, 262144]
MESSAGES = 1000
IN_FLIGHT = 20


def client(endpoint: str, name: str) -> int:
    """A pyzmq DEALER: sends MESSAGES multipart messages and checks every echo."""
    import zmq  # noqa: PLC0415 - the reference peer, only in the client processes

    ctx = zmq.Context()
    dealer = ctx.socket(zmq.DEALER)
    dealer.routing_id = name.encode()
    dealer.rcvtimeo = 10_000
    dealer.connect(endpoint)
    sent: list[list[bytes]] = []
    received = 0
    try:
        while received < MESSAGES:
            while len(sent) < MESSAGES and len(sent) - received < IN_FLIGHT:
                n = len(sent)
                size = SIZES[n % len(SIZES)]
                frames = [b"%s-%d" % (name.encode(), n), os.urandom(size)]
                frames += [os.urandom(n % 7)] * (n % 3)  # one to five frames
                dealer.send_multipart(frames)
                sent.append(frames)
            if dealer.recv_multipart() != sent[received]:
                print(f"{name}: reply {received} differs", file=sys.stderr)
                return 1
            received += 1
    finally:
        dealer.close(linger=0)
        ctx.term()
    return 0


def selftest() -> int:
    loop = RouterLoop()
    clients = [
        subprocess.Popen([sys.executable, __file__, "--client", loop.endpoint, f"dealer{i}"])
        for i in range(3)
    ]
    deadline = time.monotonic() + 120
    try:
        while any(c.poll() is None for c in clients) and time.monotonic() < deadline:
            loop.run_once()
    finally:
        loop.close()
        for c in clients:
            if c.poll() is None:
                c.kill()
            c.wait()
    codes = [c.returncode for c in clients]
    print(f"router_loop selftest: {len(clients)} DEALERs x {MESSAGES} messages: exit codes {codes}")
    return 0 if codes == [0, 0, 0] else 1


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--selftest", action="store_true")
    parser.add_argument("--client", nargs=2, metavar=("ENDPOINT", "NAME"), help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)
    if args.client:
        return client(*args.client)
    if args.selftest:
        return selftest()
    loop = RouterLoop(port=args.port)
    print(f"echo ROUTER on {loop.endpoint}; Ctrl-C ends it")
    try:
        while True:
            loop.run_once()
    except KeyboardInterrupt:
        loop.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
