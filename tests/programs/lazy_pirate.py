"""The Lazy Pirate: a REQ client that gives up on a silent server and tries again."""

import sys
import threading
import time

import zmq

REQUEST_TIMEOUT = 300
REQUEST_RETRIES = 20
ctx = zmq.Context()
endpoint = "tcp://127.0.0.1:%d"
ready = threading.Event()
port = []


def server():
    """Swallows the first request (a crash), then answers everything."""
    sock = ctx.socket(zmq.REP)
    port.append(sock.bind_to_random_port("tcp://127.0.0.1"))
    ready.set()
    print("server got", sock.recv_string(), "and dies")
    sock.close(linger=0)
    sock = ctx.socket(zmq.REP)
    for _ in range(100):  # the old socket may hold the port a little longer
        try:
            sock.bind(endpoint % port[0])
            break
        except zmq.ZMQError as error:
            if error.errno != zmq.EADDRINUSE:
                raise
            time.sleep(0.01)
    for _ in range(3):
        sock.send_string(sock.recv_string().upper())
    sock.close()


thread = threading.Thread(target=server)
thread.start()
ready.wait()

client = ctx.socket(zmq.REQ)
client.connect(endpoint % port[0])
for sequence in range(3):
    request = f"request {sequence}"
    client.send_string(request)
    for attempt in range(REQUEST_RETRIES):
        if client.poll(REQUEST_TIMEOUT) & zmq.POLLIN:
            print("reply", client.recv_string())
            break
        if attempt == 0:
            print("no reply, retrying", request)
        client.setsockopt(zmq.LINGER, 0)
        client.close()
        client = ctx.socket(zmq.REQ)
        client.connect(endpoint % port[0])
        client.send_string(request)
    else:
        sys.exit("server seems to be offline, abandoning")
client.close()
thread.join()
ctx.term()
