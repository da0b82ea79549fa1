"""A counting SMTP sink (aiosmtpd on loopback) that can misbehave on cue.

It keeps, per accepted message, only what the trials count: the recipient and the
Message-ID. ``fault(number)`` is asked before the n-th DATA is answered and may return
a reply to give instead (``"451 …"``), ``DROP`` to cut the connection with the message
unaccepted (as a connection lost mid-DATA leaves it), or ``None`` to accept.
"""
import re
import threading
import time
from dataclasses import dataclass

from aiosmtpd.controller import Controller

from tests.support.smtp import free_port, offer_pipelining

DROP = object()
_MESSAGE_ID = re.compile(rb"^Message-ID:[ \t]*(<[^>\r\n]+>)", re.M | re.I)


@dataclass(frozen=True)
class Accepted:
    to: str
    message_id: str
    at: float


class _Handler:
    def __init__(self, sink):
        self.sink = sink

    async def handle_EHLO(self, smtp, session, envelope, hostname, responses):
        return await offer_pipelining(self.sink.pipelining, session, hostname, responses)

    async def handle_DATA(self, smtp, session, envelope):
        sink = self.sink
        with sink.lock:
            sink.data_seen += 1
            number = sink.data_seen
        answer = sink.fault(number) if sink.fault else None
        if answer is DROP:
            smtp.transport.close()
            return "421 4.4.2 connection dropped"  # never reaches the client
        if answer:
            return answer
        found = _MESSAGE_ID.search(envelope.original_content or envelope.content)
        with sink.lock:
            sink.accepted.append(Accepted(envelope.rcpt_tos[0],
                                          found.group(1).decode() if found else "",
                                          time.monotonic()))
        return "250 2.0.0 Ok: queued"


class CountingSink:
    def __init__(self, pipelining=True):
        self.host, self.port = "127.0.0.1", free_port()
        self.pipelining = pipelining
        self.lock = threading.Lock()
        self.accepted = []
        self.data_seen = 0
        self.fault = None
        self.controller = None

    def start(self):
        self.controller = Controller(_Handler(self), hostname=self.host, port=self.port,
                                     decode_data=False, enable_SMTPUTF8=False,
                                     auth_require_tls=False)
        self.controller.start()
        return self

    def stop(self):
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def count(self):
        with self.lock:
            return len(self.accepted)

    def snapshot(self):
        with self.lock:
            return list(self.accepted)
