"""The README's example, as a pyzmq user writes it."""

import zmq

ctx = zmq.Context()
router = ctx.socket(zmq.ROUTER)
router.bind("tcp://127.0.0.1:*")
dealer = ctx.socket(zmq.DEALER)
dealer.connect(router.last_endpoint.decode())
dealer.send_multipart([b"hello", b"world"])
identity, *frames = router.recv_multipart()
print(frames)
router.send_multipart([identity, b"reply"])
print(dealer.recv_multipart())
ctx.destroy()
