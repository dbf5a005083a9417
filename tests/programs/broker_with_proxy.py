"""Request-reply through a broker: REQ clients, a ROUTER/DEALER zmq.proxy, REP workers."""

import threading

import zmq

ctx = zmq.Context.instance()
frontend = ctx.socket(zmq.ROUTER)
frontend_port = frontend.bind_to_random_port("tcp://127.0.0.1")
backend = ctx.socket(zmq.DEALER)
backend.bind("inproc://workers")


def broker():
    try:
        zmq.proxy(frontend, backend)
    except zmq.ContextTerminated:
        pass
    finally:
        frontend.close()
        backend.close()


def worker(name):
    sock = ctx.socket(zmq.REP)
    sock.connect("inproc://workers")
    try:
        while True:
            request = sock.recv_string()
            sock.send_string(f"{request} done")
    except zmq.ContextTerminated:
        pass
    finally:
        sock.close()


threads = [threading.Thread(target=broker)]
threads += [threading.Thread(target=worker, args=(n,)) for n in range(3)]
for thread in threads:
    thread.start()

replies = []
clients = [ctx.socket(zmq.REQ) for _ in range(4)]
for n, client in enumerate(clients):
    client.connect(f"tcp://127.0.0.1:{frontend_port}")
    for job in range(5):
        client.send_string(f"client {n} job {job}")
        replies.append(client.recv_string())
    client.close()
print(len(replies), "replies")
print("\n".join(sorted(replies)))
ctx.term()
for thread in threads:
    thread.join()
print("clean exit")
