"""An SMTP server the tests can interrupt at message N, and subprocess workers."""
import threading
import time

import pytest
from aiosmtpd.controller import Controller

from tests.support import processes
from tests.support.smtp import RecordingHandler, SmtpTestServer
from tests.support.web import use_smtp


class HookedHandler(RecordingHandler):
    """Runs ``server.before_data(n, envelope)`` before answering the n-th DATA (1-based).

    The hook may block (the test is killing a worker meanwhile) and may return a reply
    to send instead of accepting the message.
    """

    async def handle_DATA(self, smtp, session, envelope):
        with self.server.lock:
            self.server.data_seen += 1
            number = self.server.data_seen
        reply = self.server.before_data(number, envelope) if self.server.before_data else None
        if reply:
            return reply
        answer = await super().handle_DATA(smtp, session, envelope)
        if answer.startswith("250"):
            with self.server.lock:
                self.server.accepted_at.append(time.monotonic())
        return answer


class HookedSmtpServer(SmtpTestServer):
    """A plain server (no TLS, no AUTH) that can also go down and come back."""

    def __init__(self, pipelining=True):
        super().__init__(pipelining=pipelining)
        self.data_seen = 0
        self.accepted_at = []
        self.before_data = None
        self.running = False
        self.controller.handler = HookedHandler(self)

    def start(self):
        super().start()
        self.running = True
        return self

    def stop(self):
        super().stop()
        self.running = False

    def restart(self):
        """Listen again on the same port after :meth:`stop`: the server "comes back"."""
        self.controller = Controller(HookedHandler(self), hostname=self.host, port=self.port,
                                     decode_data=False, enable_SMTPUTF8=False,
                                     auth_require_tls=False)
        return self.start()


@pytest.fixture
def hooked_smtp(app):
    server = HookedSmtpServer().start()
    use_smtp(app, server)
    yield server
    if server.running:
        server.stop()


@pytest.fixture
def worker_processes():
    """``start()`` a ``flask --app wsgi worker`` subprocess; all are stopped at the end."""
    started = []

    def start(**env):
        process = processes.start_flask("worker", env={k: str(v) for k, v in env.items()})
        started.append(process)
        return process

    yield start
    for process in started:
        processes.stop(process)


class Gate:
    """A hook that holds message ``number`` until the test opens the gate."""

    def __init__(self, number, reply_after):
        self.number, self.reply_after = number, reply_after
        self.reached, self.opened = threading.Event(), threading.Event()

    def __call__(self, number, envelope):
        if number != self.number:
            return None
        self.reached.set()
        self.opened.wait(30)
        return self.reply_after
