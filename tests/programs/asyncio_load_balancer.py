"""A load balancer on asyncio: REQ clients and workers around two ROUTERs."""

import asyncio

import zmq
import zmq.asyncio

CLIENTS, WORKERS, JOBS = 4, 2, 3


async def client(ctx, n):
    sock = ctx.socket(zmq.REQ)
    sock.connect("inproc://frontend")
    replies = []
    for job in range(JOBS):
        await sock.send_string(f"c{n}j{job}")
        replies.append(await sock.recv_string())
    sock.close()
    return replies


async def worker(ctx, n):
    sock = ctx.socket(zmq.REQ)
    sock.connect("inproc://backend")
    await sock.send(b"READY")
    try:
        while True:
            address, _, request = await sock.recv_multipart()
            await sock.send_multipart([address, b"", request.upper()])
    except asyncio.CancelledError:
        sock.close(linger=0)
        raise


async def balancer(frontend, backend):
    idle = []
    poller = zmq.asyncio.Poller()
    poller.register(backend, zmq.POLLIN)
    poller.register(frontend, zmq.POLLIN)
    while True:
        events = dict(await poller.poll())
        if backend in events:
            worker_id, _, *reply = await backend.recv_multipart()
            idle.append(worker_id)
            if reply != [b"READY"]:
                await frontend.send_multipart(reply)
        if frontend in events and idle:
            request = await frontend.recv_multipart()
            await backend.send_multipart([idle.pop(0), b"", *request])


async def main():
    ctx = zmq.asyncio.Context()
    frontend, backend = ctx.socket(zmq.ROUTER), ctx.socket(zmq.ROUTER)
    frontend.bind("inproc://frontend")
    backend.bind("inproc://backend")
    workers = [asyncio.ensure_future(worker(ctx, n)) for n in range(WORKERS)]
    lb = asyncio.ensure_future(balancer(frontend, backend))
    results = await asyncio.gather(*(client(ctx, n) for n in range(CLIENTS)))
    for task in [lb, *workers]:
        task.cancel()
    await asyncio.gather(lb, *workers, return_exceptions=True)
    print(sorted(reply for replies in results for reply in replies))
    frontend.close(linger=0)
    backend.close(linger=0)
    ctx.term()


asyncio.run(main())
