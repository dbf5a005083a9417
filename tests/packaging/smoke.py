"""What a user gets from ``pip install zmtp``: run by check_wheel.py with the
interpreter of a fresh venv holding the wheel only, from outside the checkout.

Every backend imports and moves a DEALER -> ROUTER -> DEALER round trip over tcp
on loopback; CURVE handshakes; ``python -m zmtp_compat --env`` gives a
PYTHONPATH under which ``import zmq`` is zmtp.
"""

from __future__ import annotations

import asyncio
import importlib.metadata
import os
import subprocess
import sys
import warnings
from typing import Any

import anyio
import curio

import zmtp_anyio
import zmtp_asyncio
import zmtp_core
import zmtp_curio
import zmtp_selectors
import zmtp_selectors.green
import zmtp_transport

TIMEOUT_MS = 5000


def check(condition: bool, what: str) -> None:
    if not condition:
        raise SystemExit(f"smoke test failed: {what}")


def installed_from_wheel() -> None:
    for module in (zmtp_core, zmtp_transport, zmtp_selectors, zmtp_asyncio, zmtp_anyio):
        where = str(module.__file__)
        check("site-packages" in where, f"{module.__name__} is not installed: {where}")
    version = importlib.metadata.version("zmtp")
    check(zmtp_core.__version__ == version, f"zmtp_core says {zmtp_core.__version__}")
    check(zmtp_selectors.zmtp_version == version, "zmtp_selectors.zmtp_version")
    print(f"zmtp {version} installed at {os.path.dirname(zmtp_core.__file__)}")


def round_trip(zmq: Any, **server_options: Any) -> None:
    """The blocking API: a DEALER's request comes back from a ROUTER."""
    ctx = zmq.Context()
    try:
        ctx.linger, ctx.rcvtimeo = 0, TIMEOUT_MS
        router = ctx.socket(zmq.ROUTER)
        for name, value in server_options.items():
            setattr(router, name, value)
        port = router.bind_to_random_port("tcp://127.0.0.1")
        dealer = ctx.socket(zmq.DEALER)
        if server_options.get("curve_server"):
            dealer.curve_serverkey = server_options["curve_publickey"]
            dealer.curve_publickey, dealer.curve_secretkey = zmq.curve_keypair()
        dealer.connect(f"tcp://127.0.0.1:{port}")
        dealer.send_multipart([b"hello", b"world"])
        identity, *frames = router.recv_multipart()
        router.send_multipart([identity, *frames])
        check(dealer.recv_multipart() == [b"hello", b"world"], f"{zmq.__name__} round trip")
    finally:
        ctx.destroy()


async def async_round_trip(zmq: Any) -> None:
    """The coroutine API, as zmtp_asyncio, zmtp_anyio and zmtp_curio share it."""
    ctx = zmq.Context()
    async with ctx:
        router = ctx.socket(zmq.ROUTER)
        port = router.bind_to_random_port("tcp://127.0.0.1")
        dealer = ctx.socket(zmq.DEALER)
        dealer.connect(f"tcp://127.0.0.1:{port}")
        await dealer.send_multipart([b"hello"])
        identity, body = await router.recv_multipart()
        await router.send_multipart([identity, body])
        check(await dealer.recv_multipart() == [b"hello"], f"{zmq.__name__} round trip")
        router.close(0)
        dealer.close(0)


def main() -> None:
    installed_from_wheel()

    round_trip(zmtp_selectors)
    public, secret = zmtp_selectors.curve_keypair()
    round_trip(zmtp_selectors, curve_server=True, curve_publickey=public, curve_secretkey=secret)
    print("zmtp_selectors: round trip, and with CURVE")

    warnings.filterwarnings("ignore", "pyzmq's zmq.green ignores the TIMEO options")
    round_trip(zmtp_selectors.green)
    print("zmtp_selectors.green: round trip")

    asyncio.run(asyncio.wait_for(async_round_trip(zmtp_asyncio), TIMEOUT_MS / 1000))
    print("zmtp_asyncio: round trip")

    for backend in ("asyncio", "trio"):
        anyio.run(async_round_trip, zmtp_anyio, backend=backend)
        print(f"zmtp_anyio on {backend}: round trip")

    curio.run(curio.timeout_after(TIMEOUT_MS / 1000, async_round_trip(zmtp_curio)))
    print("zmtp_curio: round trip")

    env_lines = subprocess.run(
        [sys.executable, "-m", "zmtp_compat", "--env"], capture_output=True, text=True, check=True
    ).stdout.split()
    env = dict(os.environ, **dict(line.split("=", 1) for line in env_lines))
    code = "import zmq; print(zmq.__name__, zmq.zmtp_version)"
    argv = [sys.executable, "-c", code]
    shown = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
    check(shown.stdout.split() == ["zmtp_selectors", zmtp_core.__version__], f"launcher: {shown}")
    print("python -m zmtp_compat --env: import zmq gives zmtp")


if __name__ == "__main__":
    main()
