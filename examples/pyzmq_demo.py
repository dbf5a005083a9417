"""Demo: zmtp_core, driven by a minimal socket loop, talks to a pyzmq ROUTER.

Run with ``python3 tasks.py demo``. A pyzmq ROUTER binds on loopback; our
DEALER (pure Python, no libzmq) connects, sends multipart messages of growing
size, and checks that the echoes come back byte for byte.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import zmq

sys.path.insert(0, str(Path(__file__).resolve().parent))
from minimal_loop import BlockingPeer

SIZES = [0, 1, 255, 256, 8191, 8192, 65536, 262144]


def main() -> int:
    context = zmq.Context()
    router = context.socket(zmq.ROUTER)
    router.linger = 0
    port = router.bind_to_random_port("tcp://127.0.0.1")
    print(
        f"pyzmq {zmq.pyzmq_version()} (libzmq {zmq.zmq_version()}) ROUTER on tcp://127.0.0.1:{port}"
    )
    try:
        with BlockingPeer.connect(
            f"tcp://127.0.0.1:{port}", "DEALER", routing_id=b"zmtp-demo"
        ) as dealer:
            ready = dealer.handshake()
            print(f"handshake done: peer is {ready.socket_type}, ZMTP {ready.version}")
            started = time.perf_counter()
            for size in SIZES:
                body = bytes(range(256)) * (size // 256) + bytes(size % 256)
                dealer.send([b"size", str(size).encode(), body])
                identity, *frames = router.recv_multipart()
                assert identity == b"zmtp-demo", identity
                router.send_multipart([identity, b"echo", *frames])
                echo = dealer.recv()
                assert echo == [b"echo", b"size", str(size).encode(), body], size
                print(f"  {size:>7} B body: sent to pyzmq and echoed back intact")
            elapsed = time.perf_counter() - started
            print(f"{len(SIZES)} round trips in {elapsed * 1000:.1f} ms")
    finally:
        router.close()
        context.term()
    return 0


if __name__ == "__main__":
    sys.exit(main())
