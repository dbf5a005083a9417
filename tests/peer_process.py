"""A pyzmq peer in its own process, for tests that kill and restart it.

    python peer_process.py echo-router tcp://127.0.0.1:PORT
    python peer_process.py publisher tcp://127.0.0.1:PORT

Prints "ready" once bound, then serves until killed.
"""

from __future__ import annotations

import sys
import time

import zmq


def main(role: str, endpoint: str) -> None:
    ctx = zmq.Context()
    if role == "echo-router":
        sock = ctx.socket(zmq.ROUTER)
        sock.bind(endpoint)
        print("ready", flush=True)
        while True:
            sock.send_multipart(sock.recv_multipart())
    elif role == "publisher":
        sock = ctx.socket(zmq.PUB)
        sock.bind(endpoint)
        print("ready", flush=True)
        count = 0
        while True:
            sock.send_multipart([b"news", b"%d" % count])
            count += 1
            time.sleep(0.005)
    else:
        raise SystemExit(f"unknown role {role}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
