"""A zmtp_anyio program for the two-process test: ``anyio_peer.py RUNNER serve|ask [ENDPOINT]``.

``serve`` binds a ROUTER on loopback, prints its endpoint, answers 200
requests, and prints how many it answered and who asked. ``ask`` connects a
DEALER, sends 200 numbered requests, checks every reply, and prints the same.
"""

from __future__ import annotations

import sys

import anyio

import zmtp_anyio as zmq

COUNT = 200


async def serve(runner: str) -> None:
    async with zmq.Context() as ctx, ctx.socket(zmq.ROUTER) as router:
        router.bind("tcp://127.0.0.1:*")
        print(router.last_endpoint.decode(), flush=True)
        askers = set()
        with anyio.fail_after(30):
            for n in range(COUNT):
                peer, number, asker = await router.recv_multipart()
                assert int(number) == n
                askers.add(asker.decode())
                await router.send_multipart([peer, number, f"replies-from-{runner}".encode()])
        router.linger = 5000  # the last replies must leave
        print(COUNT, *sorted(f"requests-from-{a}" for a in askers))


async def ask(runner: str, endpoint: str) -> None:
    async with zmq.Context() as ctx, ctx.socket(zmq.DEALER) as dealer:
        dealer.connect(endpoint)
        answers = set()
        with anyio.fail_after(30):
            for n in range(COUNT):
                await dealer.send_multipart([b"%d" % n, runner.encode()])
                number, answer = await dealer.recv_multipart()
                assert int(number) == n
                answers.add(answer.decode())
        print(COUNT, *sorted(answers))


if __name__ == "__main__":
    runner, role, *rest = sys.argv[1:]
    if role == "serve":
        anyio.run(serve, runner, backend=runner)
    else:
        anyio.run(ask, runner, rest[0], backend=runner)
