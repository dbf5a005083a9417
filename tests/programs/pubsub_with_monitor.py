"""Pub-sub with a socket monitor watching the publisher."""

import threading

import zmq
from zmq.utils.monitor import recv_monitor_message

ctx = zmq.Context()
publisher = ctx.socket(zmq.PUB)
events = []
monitor = publisher.get_monitor_socket(zmq.EVENT_ACCEPTED | zmq.EVENT_HANDSHAKE_SUCCEEDED)


def watch():
    while True:
        event = recv_monitor_message(monitor)
        events.append(zmq.Event(event["event"]).name)
        if event["event"] == zmq.EVENT_HANDSHAKE_SUCCEEDED:
            return


watcher = threading.Thread(target=watch)
watcher.start()
port = publisher.bind_to_random_port("tcp://127.0.0.1")

subscriber = ctx.socket(zmq.SUB)
subscriber.setsockopt_string(zmq.SUBSCRIBE, "weather")
subscriber.connect(f"tcp://127.0.0.1:{port}")

poller = zmq.Poller()
poller.register(subscriber, zmq.POLLIN)
received = []
while len(received) < 5:
    publisher.send_string("sports 1-0")
    publisher.send_string(f"weather {len(received)}")
    if dict(poller.poll(10)).get(subscriber):
        while subscriber.poll(0):
            received.append(subscriber.recv_string())
watcher.join()
print(received[-1].split()[0], len(received) >= 5)
print(events)
publisher.disable_monitor()
monitor.close()
ctx.destroy(linger=0)
