"""What hostile peers cost: a server's resident memory under eight attacks, zmtp and libzmq.

    python -m zmtp_bench.attacks            # zmtp_selectors and pyzmq, side by side

Each library serves a ROUTER and a PUB in a process of its own; the attacker
is this process, with plain sockets on loopback. The table gives how much the
server's resident memory (VmRSS) grew during each attack, after a moment to
settle. RSS depends on the allocator, so read it as an order of magnitude:
the point is megabytes against hundreds of megabytes. The ws attacks have no
libzmq column: pyzmq's wheels are built without ws.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import queue
import socket
import sys
import time
from collections.abc import Callable
from typing import Any

from zmtp_core.connection import Connection, encode_greeting

__all__ = ["main"]

MiB = 1024 * 1024
LIBRARIES = {"zmtp": "zmtp_selectors", "libzmq": "zmq"}


def _rss(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS")


def _serve(module: str, commands: Any, replies: Any) -> None:
    """The server: a ROUTER, and DEALER connect/close cycles on demand."""
    zmq = __import__(module)
    ctx = zmq.Context()
    router = ctx.socket(zmq.ROUTER)
    router.bind("tcp://127.0.0.1:*")
    pub = ctx.socket(zmq.PUB)
    pub.bind("tcp://127.0.0.1:*")
    ws_endpoint = None
    if zmq.has("ws"):
        ws_router = ctx.socket(zmq.ROUTER)
        ws_router.bind("ws://127.0.0.1:*/zmq")
        ws_endpoint = ws_router.last_endpoint.decode()
    replies.put((router.last_endpoint.decode(), pub.last_endpoint.decode(), ws_endpoint))
    while True:
        try:
            command = commands.get(timeout=0.01)
        except queue.Empty:
            # libzmq's PUB takes subscriptions in only when its thread uses the socket:
            # an idle one stops reading at the pipe's HWM. Ours reads regardless.
            pub.getsockopt(zmq.EVENTS)
            continue
        if command == "stop":
            break
        if command == "cycles":
            for _ in range(2000):
                dealer = ctx.socket(zmq.DEALER)
                dealer.linger = 0
                dealer.connect(router.last_endpoint.decode())
                dealer.close()
        replies.put("done")
    router.close(linger=0)
    pub.close(linger=0)
    ctx.term()


def _handshaken(address: tuple[str, int]) -> socket.socket:
    return _handshake(address, "DEALER")[0]


def _handshake(address: tuple[str, int], kind: str) -> tuple[socket.socket, Connection]:
    """A raw connection that completed its ZMTP handshake as a ``kind`` socket."""
    raw = socket.create_connection(address)
    raw.settimeout(10)
    peer = Connection(kind)
    while peer.state.name != "TRAFFIC":
        while peer.bytes_to_send:
            peer.sent(raw.sendmsg(peer.buffers_to_send()))
        peer.received(raw.recv_into(peer.receive_buffer()))
        while peer.next_event().__class__.__name__ not in ("NeedData", "ConnectionClosed"):
            pass
    while peer.bytes_to_send:
        peer.sent(raw.sendmsg(peer.buffers_to_send()))
    return raw, peer


#: Subscriptions a subscriber sends, and their topics: 100 bytes sharing a 90-byte stem,
#: as real topic names share theirs.
SUBSCRIPTIONS = 200_000


def _topic(number: int) -> bytes:
    return b"market.data.feed.europe.equities.xetra.level2.orderbook.".ljust(90, b"-") + (
        b"%010d" % number
    )


def _subscriptions(address: tuple[str, int]) -> list[socket.socket]:
    raw, peer = _handshake(address, "SUB")
    raw.settimeout(60)
    for start in range(0, SUBSCRIPTIONS, 1000):
        for number in range(start, start + 1000):
            peer.send_subscribe(_topic(number))
        while peer.bytes_to_send:
            peer.sent(raw.sendmsg(peer.buffers_to_send()))
    return [raw]


def _announce_16_mib(address: tuple[str, int]) -> list[socket.socket]:
    held = []
    for _ in range(30):
        raw = socket.create_connection(address)
        with contextlib.suppress(ConnectionError):
            raw.sendall(encode_greeting(b"NULL", 0) + b"\x06" + (16 * MiB).to_bytes(8, "big"))
            raw.sendall(b"x" * 4096)
        held.append(raw)
    return held


def _seventy_three_bytes(address: tuple[str, int]) -> list[socket.socket]:
    for _ in range(50):
        raw = socket.create_connection(address)
        with contextlib.suppress(ConnectionError):
            raw.sendall((encode_greeting(b"NULL", 0) + b"\x04\x07\x05READY")[:73])
        raw.close()
    return []


def _handshake_and_close(address: tuple[str, int]) -> list[socket.socket]:
    for _ in range(1000):
        with contextlib.suppress(ConnectionError):
            _handshaken(address).close()
    return []


def _ping_flood(address: tuple[str, int]) -> list[socket.socket]:
    raw = _handshaken(address)
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # and it never reads
    body = b"\x04PING\x00\x00" + b"c" * 16
    pings = (bytes((0x04, len(body))) + body) * 50_000
    raw.settimeout(30)
    with contextlib.suppress(OSError):
        for _ in range(int(38 * MiB / len(pings)) + 1):
            raw.sendall(pings)
    return [raw]


_HALF_UPGRADE = b"GET /zmq HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"


def _stalled_upgrades(address: tuple[str, int]) -> list[socket.socket]:
    held = []
    for _ in range(300):
        raw = socket.create_connection(address)
        with contextlib.suppress(ConnectionError):
            raw.sendall(_HALF_UPGRADE)
        held.append(raw)
    return held


def _ws_ping_flood(address: tuple[str, int]) -> list[socket.socket]:
    """Upgraded, then WebSocket pings (masked, as a client's) without ever reading."""
    raw = socket.create_connection(address)
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    raw.settimeout(30)
    raw.sendall(
        b"GET /zmq HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
        b"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        b"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: ZWS2.0/NULL\r\n\r\n"
    )
    ready = b"\x02\x05READY\x0bSocket-Type\x00\x00\x00\x06DEALER"
    ping = b"\x89\x90" + bytes(4) + b"c" * 16  # (a zero mask: the payload as it is)
    pings = ping * 50_000
    with contextlib.suppress(OSError):
        raw.sendall(bytes((0x82, 0x80 | len(ready))) + bytes(4) + ready)
        for _ in range(int(38 * MiB / len(pings)) + 1):
            raw.sendall(pings)
    return [raw]


ATTACKS = [
    ("30 peers announce 16 MiB before their handshake", _announce_16_mib),
    ("50 x connect, 73 bytes, close", _seventy_three_bytes),
    ("1000 x connect, handshake, close", _handshake_and_close),
    ("38 MB of PINGs, never reading", _ping_flood),
]
#: The attacks on a ws ROUTER.
WS_ATTACKS = [
    ("300 peers stall half-way through a ws upgrade", _stalled_upgrades),
    ("38 MB of WebSocket pings, never reading", _ws_ping_flood),
]
#: The attacks on the PUB: what a subscriber's subscriptions cost.
PUB_ATTACKS = [(f"{SUBSCRIPTIONS:,} subscriptions to a PUB (100-byte topics)", _subscriptions)]


def _address(endpoint: str) -> tuple[str, int]:
    host, _, port = endpoint.split("://")[1].split("/", maxsplit=1)[0].rpartition(":")
    return host, int(port)


def _settled_rss(pid: int) -> int:
    """The server's RSS once it has taken in what was sent (it stops growing)."""
    time.sleep(1.0)
    rss = _rss(pid)
    for _ in range(60):
        time.sleep(0.5)
        now = _rss(pid)
        if now == rss:
            break
        rss = now
    return rss


Attack = Callable[[tuple[str, int]], list[socket.socket]]


def _grown(pid: int, attack: Attack, address: tuple[str, int]) -> int:
    """How much the server's RSS grew while ``attack`` ran (its sockets held until then)."""
    time.sleep(0.5)
    before = _rss(pid)
    held = attack(address)
    grown = _settled_rss(pid) - before
    for raw in held:
        raw.close()
    return grown


def measure(library: str) -> dict[str, int | None]:
    commands: Any = multiprocessing.Queue()
    replies: Any = multiprocessing.Queue()
    server = multiprocessing.Process(target=_serve, args=(LIBRARIES[library], commands, replies))
    server.start()
    assert server.pid is not None
    router_endpoint, pub_endpoint, ws_endpoint = replies.get(timeout=30)
    router, pub = _address(router_endpoint), _address(pub_endpoint)
    results: dict[str, int | None] = {}
    try:
        for name, attack in ATTACKS:
            results[name] = _grown(server.pid, attack, router)
        for name, attack in WS_ATTACKS:
            ws = None if ws_endpoint is None else _address(ws_endpoint)
            results[name] = None if ws is None else _grown(server.pid, attack, ws)
        time.sleep(0.5)
        before = _rss(server.pid)
        commands.put("cycles")
        replies.get(timeout=120)
        time.sleep(0.5)
        results["2000 x DEALER socket made, connected, closed"] = _rss(server.pid) - before
        for name, attack in PUB_ATTACKS:
            results[name] = _grown(server.pid, attack, pub)
    finally:
        commands.put("stop")
        server.join(timeout=30)
        if server.is_alive():
            server.kill()
    return results


def _cell(grown: int | None, unit: int, form: str) -> str:
    return "n/a (no ws)" if grown is None else form.format(grown / unit)


def main(argv: list[str] | None = None) -> int:
    columns = {library: measure(library) for library in LIBRARIES}
    print("| attack | zmtp (zmtp_selectors) | libzmq (pyzmq) |")
    print("|---|---:|---:|")
    for name in columns["zmtp"]:
        cells = [_cell(columns[lib][name], MiB, "{:+.1f} MiB") for lib in LIBRARIES]
        print(f"| {name} | {' | '.join(cells)} |")
    for name, _ in PUB_ATTACKS:
        per_topic = [_cell(columns[lib][name], SUBSCRIPTIONS, "{:.0f} B") for lib in LIBRARIES]
        print(f"| ... per subscribed topic | {' | '.join(per_topic)} |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
