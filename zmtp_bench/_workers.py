"""The two ends of every measurement, written once against the pyzmq API.

A measurement has a *binder* (throughput receiver, latency echo server) and a
*connector* (throughput sender, latency client). Over tcp and ipc they run in
two processes; over inproc, as two threads sharing one Context. Each end gets
its library's module, a context and a :class:`Channel` to tell the other end
its endpoint and when the slow-joining subscriber is ready.
"""

from __future__ import annotations

import functools
import multiprocessing
import os
import queue
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, replace
from types import ModuleType
from typing import Any, Protocol

from zmtp_bench._libraries import LIBRARIES

__all__ = ["FRAME_PATTERNS", "Channel", "Job", "run_job"]

PROBE = b"~probe~"
WARMUP_ROUND_TRIPS = 1000
STOP = b"~stop~"


class _Queue(Protocol):
    def put(self, item: Any) -> None: ...
    def get(self, block: bool = True, timeout: float | None = None) -> Any: ...


@dataclass
class Channel:
    """What the two ends tell each other: the bound endpoint, 'ready' (the slow
    joiner is subscribed), and 'received' (everything arrived: the sender may
    close, without trusting LINGER: libzmq 4.3.5 loses messages sent just
    before a close over ipc), and where ipc endpoints go (a directory the
    parent removes afterwards: libzmq leaves its socket files behind)."""

    endpoint: _Queue
    ready: _Queue
    received: _Queue
    scratch: str = ""

    def is_ready(self) -> bool:
        try:
            self.ready.get(block=False)
        except queue.Empty:
            return False
        return True


@dataclass(frozen=True)
class Job:
    """One measurement."""

    kind: str  # "throughput" or "latency"
    library: str
    pattern: str
    transport: str
    size: int
    count: int
    mechanism: str = "null"  # or "curve"
    #: "multipart": send_multipart/recv_multipart; "frames": send/recv, one frame a
    #: message (the patterns of FRAME_PATTERNS only).
    api: str = "multipart"
    #: Throughput with the sender bound and the receiver connecting (the server sends:
    #: over ws the direction whose frames go unmasked).
    sender_binds: bool = False

    @property
    def label(self) -> str:
        """The pattern, the calls when they are send()/recv(), and who binds if not usual."""
        label = self.pattern if self.api == "multipart" else f"{self.pattern} send/recv"
        if self.sender_binds and self.kind == "throughput":
            label += " (sender binds)"
        return label


#: The socket types of each pattern's ends: throughput receiver and sender, latency
#: server and client. PUBSUB and PUSH_PULL measure latency over one pair each way.
SOCKETS: dict[str, tuple[str, str, str, str]] = {
    "PAIR": ("PAIR", "PAIR", "PAIR", "PAIR"),
    "PUBSUB": ("SUB", "PUB", "SUB", "PUB"),
    "PUSH_PULL": ("PULL", "PUSH", "PULL", "PUSH"),
    "DEALER_DEALER": ("DEALER", "DEALER", "DEALER", "DEALER"),
    "DEALER_ROUTER": ("ROUTER", "DEALER", "ROUTER", "DEALER"),
    "ROUTER_ROUTER": ("ROUTER", "ROUTER", "ROUTER", "ROUTER"),
    "REQ_REP": ("REP", "DEALER", "REP", "REQ"),  # (throughput: WINDOW requests in flight)
    # The draft types: send()/recv() only (a SERVER answers by routing id, a RADIO
    # sends to a group), against the draft-enabled libzmq.
    "CLIENT_SERVER": ("SERVER", "CLIENT", "SERVER", "CLIENT"),
    "RADIO_DISH": ("DISH", "RADIO", "DISH", "RADIO"),
}
#: Patterns whose application messages are one frame: they can use send()/recv().
FRAME_PATTERNS = (
    "PAIR",
    "PUBSUB",
    "PUSH_PULL",
    "DEALER_DEALER",
    "REQ_REP",
    "CLIENT_SERVER",
    "RADIO_DISH",
)
#: Patterns of the draft socket types: send()/recv() only, with a library that has them.
DRAFT_PATTERNS = ("CLIENT_SERVER", "RADIO_DISH")
#: The group of RADIO_DISH's messages.
GROUP = b"bench"
#: Requests a DEALER keeps in flight to a REP when measuring REQ_REP throughput.
WINDOW = 100
#: Patterns measured over one socket pair each way (one-way sockets).
ONE_WAY = {"SUB": "PUB", "PULL": "PUSH", "DISH": "RADIO"}
#: One-way senders whose receivers join late: probes go until one arrives.
SLOW_JOINERS = ("PUB", "RADIO")


def calls(sock: Any, job: Job, frames: list[bytes]) -> tuple[Any, Any, Any]:
    """(send, recv, message): the calls the job measures, and what send takes."""
    if job.api == "frames":
        # (in RADIO_DISH only the RADIO sends)
        send = (
            functools.partial(sock.send, group=GROUP) if job.pattern == "RADIO_DISH" else sock.send
        )
        return send, sock.recv, frames[-1] if frames else None
    return sock.send_multipart, sock.recv_multipart, frames


def is_stop(message: Any) -> bool:
    return bool((message[-1] if isinstance(message, list) else message) == STOP)


#: Transports only zmtp has (pyzmq's wheels have no ws; libzmq has no tls): ours alone.
OURS_ONLY = ("tls", "ws", "wss")


def new_endpoint(transport: str, scratch: str = "") -> str:
    if transport in ("tcp", "tls"):
        return f"{transport}://127.0.0.1:*"
    if transport in ("ws", "wss"):
        return f"{transport}://127.0.0.1:*/bench"
    name = f"zmtp-bench-{uuid.uuid4().hex[:12]}"
    if transport == "ipc":
        return f"ipc://{scratch or tempfile.gettempdir()}/{name}.sock"
    return f"inproc://{name}"


@functools.cache
def _certificate() -> str:
    """A throwaway server certificate for tls:// and wss:// runs (clients do not verify)."""
    import trustme  # noqa: PLC0415 - only for the layered transports

    path = os.path.join(tempfile.mkdtemp(prefix="zmtp-bench-"), "server.pem")
    trustme.CA().issue_cert("127.0.0.1").private_key_and_cert_chain_pem.write_to_path(path)
    return path


#: The routing ids of the sockets that bind: the CURVE servers.
_BINDING = (b"receiver", b"server", b"server-in", b"server-out")


@functools.cache
def _curve_keys() -> dict[str, bytes]:
    """Fixed key pairs (Z85) for CURVE runs: both processes of a job know them."""
    from zmtp_core.curve import sodium, z85_encode  # noqa: PLC0415

    keys = {}
    for role in ("server", "client"):
        public, secret = sodium().crypto_box_seed_keypair(role.encode().ljust(32, b"-"))
        keys[f"{role}_public"], keys[f"{role}_secret"] = z85_encode(public), z85_encode(secret)
    return keys


def _socket(zmq: ModuleType, ctx: Any, kind: str, routing_id: bytes, job: Job) -> Any:
    sock = ctx.socket(getattr(zmq, kind))
    if kind not in ("CLIENT", "SERVER", "RADIO", "DISH"):  # (they have no routing id option)
        sock.routing_id = routing_id
    transport = job.transport
    if job.mechanism == "curve":
        keys = _curve_keys()
        role = "server" if routing_id in _BINDING else "client"
        if role == "server":
            sock.curve_server = 1
        else:
            sock.curve_serverkey = keys["server_public"]
        sock.curve_publickey = keys[f"{role}_public"]
        sock.curve_secretkey = keys[f"{role}_secret"]
    if transport in ("tls", "wss"):
        sock.tls_cert = _certificate()  # (used when binding)
        sock.tls_verify = 0  # (used when connecting: the handshake is not what we measure)
    if kind in ("PUB", "SUB", "RADIO", "DISH"):
        sock.sndhwm = sock.rcvhwm = 0  # a publisher drops at its HWM: count everything
    if kind == "SUB":
        sock.subscribe(b"")
    if kind == "DISH":
        sock.join(GROUP)
    if kind == "ROUTER":
        sock.router_mandatory = 1
    return sock


def _routable_send(zmq: ModuleType, sock: Any, frames: list[bytes]) -> None:
    """ROUTER to ROUTER: EHOSTUNREACH until the handshake made the peer known."""
    while True:
        try:
            sock.send_multipart(frames)
            return
        except zmq.ZMQError as error:
            if error.errno != zmq.EHOSTUNREACH:
                raise
            time.sleep(0.001)


def _reset(zmq: ModuleType) -> None:
    counters = getattr(zmq, "counters", None)
    if counters is not None:
        counters.reset()


def _snapshot(zmq: ModuleType) -> dict[str, int] | None:
    counters = getattr(zmq, "counters", None)
    return None if counters is None else dict(counters.snapshot())


# -- throughput -------------------------------------------------------------------


def throughput_receiver(zmq: ModuleType, ctx: Any, channel: Channel, job: Job) -> dict[str, Any]:
    """Time ``count`` messages, from the first received to the last."""
    sock = _socket(zmq, ctx, SOCKETS[job.pattern][0], b"receiver", job)
    if job.sender_binds:
        sock.connect(channel.endpoint.get(timeout=30))
    else:
        sock.bind(new_endpoint(job.transport, channel.scratch))
        channel.endpoint.put(sock.last_endpoint.decode())
    frames = sock.recv_multipart()
    if job.pattern in ("PUBSUB", "RADIO_DISH"):  # the slow joiner: say when probes arrive
        channel.ready.put(True)
    while frames[-1] == PROBE:  # probes are not counted
        frames = sock.recv_multipart()
    started = time.perf_counter()
    _reset(zmq)
    send, recv, reply = calls(sock, job, [b""])
    copy = job.size < 65536
    if job.pattern == "REQ_REP":  # a REP replies to each request before the next
        send(reply)  # (to the first one)
        for _ in range(job.count - 1):
            recv(copy=copy)
            send(reply)
    else:
        for _ in range(job.count - 1):
            recv(copy=copy)
    elapsed = time.perf_counter() - started
    channel.received.put(True)
    result = {"throughput": (job.count - 1) / elapsed, "receiver_counters": _snapshot(zmq)}
    sock.close(linger=0)
    return result


def throughput_sender(zmq: ModuleType, ctx: Any, channel: Channel, job: Job) -> dict[str, Any]:
    """Send ``count`` messages as fast as the library takes them."""
    kind = SOCKETS[job.pattern][1]
    sock = _socket(zmq, ctx, kind, b"sender", job)
    if job.sender_binds:
        sock.bind(new_endpoint(job.transport, channel.scratch))
        channel.endpoint.put(sock.last_endpoint.decode())
    else:
        sock.connect(channel.endpoint.get(timeout=30))
    payload = os.urandom(job.size)
    frames = [b"receiver", payload] if kind == "ROUTER" else [payload]
    if kind in SLOW_JOINERS:
        probe = calls(sock, replace(job, api="frames"), [PROBE])
        while not channel.is_ready():
            probe[0](PROBE)
            time.sleep(0.001)
    elif kind == "ROUTER":
        _routable_send(zmq, sock, [b"receiver", PROBE])
    _reset(zmq)
    send, _, message = calls(sock, job, frames)
    copy = job.size < 65536
    if job.pattern == "REQ_REP":  # requests to a REP: a window of them in flight
        request, waiting = [b"", payload], 0
        for _ in range(job.count):
            if waiting == WINDOW:
                sock.recv_multipart()
                waiting -= 1
            sock.send_multipart(request, copy=copy)
            waiting += 1
    else:
        for _ in range(job.count):
            send(message, copy=copy)
    channel.received.get(timeout=60)  # (counted after: a PUB's I/O thread may still be writing)
    result = {"sender_counters": _snapshot(zmq)}
    sock.close(linger=0)
    return result


# -- latency ------------------------------------------------------------------


def latency_server(zmq: ModuleType, ctx: Any, channel: Channel, job: Job) -> dict[str, Any]:
    """Echo every message back until a stop."""
    kind = SOCKETS[job.pattern][2]
    if kind in ONE_WAY:  # one pair each way
        inbound = _socket(zmq, ctx, kind, b"server-in", job)
        outbound = _socket(zmq, ctx, ONE_WAY[kind], b"server-out", job)
        inbound.bind(new_endpoint(job.transport, channel.scratch))
        outbound.bind(new_endpoint(job.transport, channel.scratch))
        channel.endpoint.put((inbound.last_endpoint.decode(), outbound.last_endpoint.decode()))
    else:
        inbound = outbound = _socket(zmq, ctx, kind, b"server", job)
        inbound.bind(new_endpoint(job.transport, channel.scratch))
        channel.endpoint.put(inbound.last_endpoint.decode())
    _, recv, _ = calls(inbound, job, [])
    send, _, _ = calls(outbound, job, [])
    if kind == "SERVER":  # replies go to the routing id of the request
        while (frame := inbound.recv(copy=False)).bytes != STOP:
            outbound.send(frame.bytes, routing_id=frame.routing_id)
        inbound.close(linger=0)
        return {}
    while True:
        message = recv()
        if is_stop(message):
            break
        send(message)
    for sock in {id(inbound): inbound, id(outbound): outbound}.values():
        sock.close(linger=0)
    return {}


def latency_client(zmq: ModuleType, ctx: Any, channel: Channel, job: Job) -> dict[str, Any]:
    """Round trips after a warm-up; one way is half a round trip."""
    payload = os.urandom(job.size)
    endpoint = channel.endpoint.get(timeout=30)
    kind = SOCKETS[job.pattern][3]
    frames = [payload]
    if kind in ONE_WAY.values():  # one pair each way
        inbound_kind = next(sub for sub, pub in ONE_WAY.items() if pub == kind)
        outbound = _socket(zmq, ctx, kind, b"client-out", job)
        inbound = _socket(zmq, ctx, inbound_kind, b"client-in", job)
        outbound.connect(endpoint[0])
        inbound.connect(endpoint[1])
        if kind in SLOW_JOINERS:
            probe = calls(outbound, replace(job, api="frames"), [PROBE])[0]
            while True:  # probes go round until both subscriptions have arrived
                probe(PROBE)
                if inbound.poll(10):
                    break
            while inbound.poll(50):
                inbound.recv_multipart()
    else:
        inbound = outbound = _socket(zmq, ctx, kind, b"client", job)
        outbound.connect(endpoint)
        if kind == "ROUTER":
            frames = [b"server", payload]
            _routable_send(zmq, outbound, frames)
            inbound.recv_multipart()
    send, _, message = calls(outbound, job, frames)
    _, recv, _ = calls(inbound, job, frames)
    for _ in range(WARMUP_ROUND_TRIPS):
        send(message)
        recv()
    clock = time.perf_counter_ns
    samples = []
    _reset(zmq)
    for _ in range(job.count):
        started = clock()
        send(message)
        recv()
        samples.append((clock() - started) / 2000.0)  # one way, in microseconds
    counters = _snapshot(zmq)
    if job.pattern in DRAFT_PATTERNS:
        send(STOP)
    else:
        outbound.send_multipart([*frames[:-1], STOP])
    # The stop must leave; a SUB's subscription must not keep a finished run waiting
    # to reconnect to a server that is gone.
    if inbound is not outbound:
        inbound.close(linger=0)
    outbound.close(linger=-1)
    return {"latency_us": samples, "client_counters": counters}


ROLES = {
    "throughput": (throughput_receiver, throughput_sender),
    "latency": (latency_server, latency_client),
}


# -- running a job -------------------------------------------------------------------


def _prepare(library: str) -> ModuleType:
    """Import the library and switch its counters on, if it has any."""
    counters = getattr(LIBRARIES[library].load_constants(), "counters", None)
    if counters is not None:
        counters.enable()  # what the I/O paths did, per run (a branch each when off)
    return LIBRARIES[library].load()


def _process_end(role: int, job: Job, channel: Channel, results: _Queue) -> None:
    """One end in its own process."""
    try:
        runner = LIBRARIES[job.library].runner
        if runner is not None:
            from zmtp_bench._async_workers import run_end  # noqa: PLC0415

            results.put((role, run_end(runner, role, job, channel)))
            return
        zmq = _prepare(job.library)
        ctx = zmq.Context()
        try:
            results.put((role, ROLES[job.kind][role](zmq, ctx, channel, job)))
        except BaseException:
            ctx.destroy(linger=0)  # (term() would wait for the sockets the error left open)
            raise
        ctx.term()
    except BaseException as error:  # the parent must not wait forever
        results.put((role, {"error": repr(error)}))
        raise


def _inproc_ends(job: Job, results: _Queue) -> None:
    """Both ends in one process, one Context: two threads (or two tasks)."""
    runner = LIBRARIES[job.library].runner
    if runner is not None:
        from zmtp_bench._async_workers import run_both_ends  # noqa: PLC0415

        for role, result in run_both_ends(runner, job).items():
            results.put((role, result))
        return
    zmq = _prepare(job.library)
    ctx = zmq.Context()
    channel = Channel(queue.Queue(), queue.Queue(), queue.Queue())
    outcome: dict[int, dict[str, Any]] = {}

    def end(role: int) -> None:
        try:
            outcome[role] = ROLES[job.kind][role](zmq, ctx, channel, job)
        except BaseException as error:
            outcome[role] = {"error": repr(error)}

    threads = [threading.Thread(target=end, args=(role,)) for role in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if any("error" in result for result in outcome.values()):
        ctx.destroy(linger=0)  # (term() would wait for the sockets the error left open)
    else:
        ctx.term()
    for role in (0, 1):
        results.put((role, outcome[role]))


def run_job(job: Job, timeout: float = 60) -> dict[str, Any]:
    """Run both ends, wait for both, and merge what they measured."""
    mp = multiprocessing.get_context("spawn")
    results: Any = mp.Queue()
    scratch = tempfile.TemporaryDirectory(prefix="zmtp-bench-")
    if job.transport == "inproc":
        processes = [mp.Process(target=_inproc_ends, args=(job, results))]
    else:
        channel = Channel(mp.Queue(), mp.Queue(), mp.Queue(), scratch.name)
        processes = [
            mp.Process(target=_process_end, args=(role, job, channel, results)) for role in (0, 1)
        ]
    for process in processes:
        process.start()
    merged: dict[str, Any] = {}
    try:
        for _ in range(2):
            try:
                _, outcome = results.get(timeout=timeout)
            except queue.Empty:
                raise RuntimeError(f"{job}: no result within {timeout:g} s") from None
            if "error" in outcome:
                raise RuntimeError(f"{job}: {outcome['error']}")
            merged.update(outcome)
    finally:
        for process in processes:
            process.join(timeout=10)
            if process.is_alive():
                process.kill()
                process.join()
        scratch.cleanup()
    return merged
