"""A gevent program: REQ clients, a green device, REP workers, all greenlets of one thread."""

import gevent
import zmq.green as zmq

ctx = zmq.Context()
frontend = ctx.socket(zmq.ROUTER)
port = frontend.bind_to_random_port("tcp://127.0.0.1")
backend = ctx.socket(zmq.DEALER)
backend.bind("inproc://workers")


def worker(name):
    sock = ctx.socket(zmq.REP)
    sock.connect("inproc://workers")
    try:
        while True:
            request = sock.recv_string()
            gevent.sleep(0.005)  # the other greenlets run meanwhile
            sock.send_string(request.upper())
    finally:
        sock.close(linger=0)


def client(number):
    sock = ctx.socket(zmq.REQ)
    sock.connect(f"tcp://127.0.0.1:{port}")
    replies = []
    for request in range(3):
        sock.send_string(f"client {number} request {request}")
        replies.append(sock.recv_string())
    sock.close()
    return replies


def ticker(seen):
    while True:
        seen.append(1)
        gevent.sleep(0.001)


device = gevent.spawn(zmq.device, zmq.QUEUE, frontend, backend)
workers = [gevent.spawn(worker, name) for name in "abc"]
ticks = []
clock = gevent.spawn(ticker, ticks)
clients = [gevent.spawn(client, number) for number in range(5)]
gevent.joinall(clients, timeout=20, raise_error=True)
for greenlet in clients:
    for reply in greenlet.value:
        print(reply)
print("other greenlets ran while sockets waited:", len(ticks) > 1)

poller = zmq.Poller()
poller.register(frontend, zmq.POLLIN)
print("poll with nothing to read:", poller.poll(10))

gevent.killall([device, clock, *workers])
frontend.close(linger=0)
backend.close(linger=0)
ctx.term()
print("done")
