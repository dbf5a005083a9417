"""A relay of asyncio tasks over inproc PAIR sockets (the zguide's mtrelay, on asyncio).

Each stage signals the next and closes its socket at once; the first stage
starts before the next one binds, so its message waits in a pending connection.
"""

import asyncio

import zmq
import zmq.asyncio


async def step1(ctx):
    sender = ctx.socket(zmq.PAIR)
    sender.connect("inproc://step2")  # (step2 has not bound yet)
    await sender.send(b"READY from step 1")
    sender.close()
    print("step 1 sent its signal and closed")


async def step2(ctx):
    first = asyncio.ensure_future(step1(ctx))
    await first  # step 1 is done, and gone, before this bind
    receiver = ctx.socket(zmq.PAIR)
    receiver.bind("inproc://step2")
    message = await asyncio.wait_for(receiver.recv(), 5)
    receiver.close()
    print("step 2 got:", message.decode())
    sender = ctx.socket(zmq.PAIR)
    sender.connect("inproc://step3")
    await sender.send(b"READY from step 2")
    sender.close()


async def main():
    ctx = zmq.asyncio.Context()
    receiver = ctx.socket(zmq.PAIR)
    receiver.bind("inproc://step3")
    second = asyncio.ensure_future(step2(ctx))
    print("step 3 got:", (await asyncio.wait_for(receiver.recv(), 5)).decode())
    await second
    receiver.close()
    ctx.term()


asyncio.run(main())
