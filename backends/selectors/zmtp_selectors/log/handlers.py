"""Log records published on a PUB socket (pyzmq's ``zmq.log.handlers``).

Each record goes out as two frames: a topic, then the formatted text. The topic
is the root topic (if any), the level name, and a subtopic that the message
may start with before ``::`` ("db.pool::connection lost").
"""

from __future__ import annotations

import copy
import logging

from zmtp_transport.constants import PUB

from .._context import Context
from .._socket import Socket

__all__ = ["TOPIC_DELIM", "PUBHandler", "TopicLogger"]

TOPIC_DELIM = "::"

_DETAILED = "%(levelname)s %(filename)s:%(lineno)d - %(message)s\n"


class PUBHandler(logging.Handler):
    """Publishes log records on a PUB socket (given, or bound to the address given)."""

    def __init__(
        self,
        interface_or_socket: str | Socket,
        context: Context | None = None,
        root_topic: str = "",
    ) -> None:
        super().__init__()
        self.root_topic = root_topic
        self.formatters: dict[int, logging.Formatter | None] = {
            logging.DEBUG: logging.Formatter(_DETAILED),
            logging.INFO: logging.Formatter("%(message)s\n"),
            logging.WARNING: logging.Formatter(_DETAILED),
            logging.ERROR: logging.Formatter(
                "%(levelname)s %(filename)s:%(lineno)d - %(message)s - %(exc_info)s\n"
            ),
            logging.CRITICAL: logging.Formatter(_DETAILED),
        }
        if isinstance(interface_or_socket, Socket):
            self.socket = interface_or_socket
            self.ctx = self.socket.context
        else:
            self.ctx = context or Context()
            self.socket = self.ctx.socket(PUB)
            self.socket.bind(interface_or_socket)

    @property
    def root_topic(self) -> str:
        return self._root_topic

    @root_topic.setter
    def root_topic(self, value: str | bytes) -> None:
        self.setRootTopic(value)

    def setRootTopic(self, root_topic: str | bytes) -> None:
        """The topic every record's topic starts with ("" by default)."""
        self._root_topic = root_topic.decode() if isinstance(root_topic, bytes) else root_topic

    def setFormatter(self, fmt: logging.Formatter | None, level: int = logging.NOTSET) -> None:
        """The formatter for one level, or (NOTSET) for all of them."""
        for known in self.formatters if level == logging.NOTSET else [level]:
            self.formatters[known] = fmt

    def format(self, record: logging.LogRecord) -> str:
        formatter = self.formatters.get(record.levelno) or logging.Formatter()
        return formatter.format(record)

    def emit(self, record: logging.LogRecord) -> None:
        subtopic, separator, text = str(record.msg).partition(TOPIC_DELIM)
        if separator:
            record = copy.copy(record)
            record.msg = text
        else:
            subtopic = ""
        try:
            body = self.format(record).encode("utf-8")
        except Exception:  # (logging's rule: a bad record must not raise)
            self.handleError(record)
            return
        topic = ".".join(part for part in (self.root_topic, record.levelname, subtopic) if part)
        self.socket.send_multipart([topic.encode("utf-8", "replace"), body])


class TopicLogger(logging.Logger):
    """A Logger whose ``log`` takes the subtopic first: ``log(level, "topic", msg)``."""

    def log(self, level: int, topic: str, msg: object, *args: object, **kwargs: object) -> None:  # type: ignore[override]
        super().log(level, f"{topic}{TOPIC_DELIM}{msg}", *args, **kwargs)  # type: ignore[arg-type]
