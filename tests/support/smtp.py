"""A real SMTP server on loopback (aiosmtpd) that tests can read and misconfigure.

It speaks real STARTTLS, implicit TLS and AUTH when asked, and can answer with chosen
replies so every failure class is produced by a real protocol exchange.
"""
import collections
import email
import email.policy
import socket
import ssl
import threading
import time
from dataclasses import dataclass, field

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list
    raw: bytes
    message: object = field(repr=False)

    @property
    def to(self):
        return self.rcpt_tos[0]


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def offer_pipelining(offered, session, hostname, responses):
    """An aiosmtpd ``handle_EHLO`` body: add PIPELINING (RFC 2920) to the EHLO reply when
    ``offered``. aiosmtpd reads pipelined commands in order but does not say so itself."""
    session.host_name = hostname
    if offered:
        responses.insert(len(responses) - 1, "250-PIPELINING")
    return responses


class RecordingHandler:
    def __init__(self, server):
        self.server = server

    async def handle_EHLO(self, smtp, session, envelope, hostname, responses):
        return await offer_pipelining(self.server.pipelining, session, hostname, responses)

    async def handle_MAIL(self, smtp, session, envelope, address, mail_options):
        reply = self.server.mail_replies.get(address)
        if reply:
            return reply
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, smtp, session, envelope, address, rcpt_options):
        reply = self.server.rcpt_replies.get(address.lower())
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, smtp, session, envelope):
        with self.server.lock:
            for address in envelope.rcpt_tos:
                reply = self.server.data_replies_for.get(address.lower())
                if reply:
                    return reply
            if self.server.data_replies:
                return self.server.data_replies.popleft()
        raw = envelope.original_content or envelope.content
        parsed = email.message_from_bytes(raw, policy=email.policy.default)
        with self.server.lock:
            self.server.messages.append(Received(envelope.mail_from, list(envelope.rcpt_tos),
                                                 raw, parsed))
        return "250 2.0.0 Ok: queued as test"


class SmtpTestServer:
    """Start with :meth:`start`; read :attr:`messages`; :meth:`wait_for` polls with a bound."""

    def __init__(self, *, tls_context=None, implicit_tls=False, users=None,
                 auth_require_tls=True, offer_starttls=True, auth_required=False,
                 pipelining=True):
        self.host = "127.0.0.1"
        # Offered as most servers do (postfix, smtp-sink); ``False`` for those that don't.
        self.pipelining = pipelining
        self.port = free_port()
        self.messages = []
        self.lock = threading.Lock()
        self.mail_replies = {}
        self.rcpt_replies = {}
        self.data_replies = collections.deque()
        # Refuse a message's data by recipient, whatever order the batch sends in.
        self.data_replies_for = {}
        self.users = users
        kwargs = {"hostname": self.host, "port": self.port, "decode_data": False,
                  "enable_SMTPUTF8": False}
        if users is not None:
            kwargs["authenticator"] = self._authenticate
            kwargs["auth_require_tls"] = auth_require_tls
            kwargs["auth_required"] = auth_required  # MAIL FROM before AUTH: 530
        else:
            kwargs["auth_require_tls"] = False
        if implicit_tls:
            kwargs["ssl_context"] = tls_context
        elif tls_context is not None and offer_starttls:
            kwargs["tls_context"] = tls_context
        self.controller = Controller(RecordingHandler(self), **kwargs)

    def _authenticate(self, server, session, envelope, mechanism, auth_data):
        # handled=False: aiosmtpd then answers a failure with 535 (True means "already replied").
        if isinstance(auth_data, LoginPassword):
            login, password = auth_data.login.decode(), auth_data.password.decode()
            return AuthResult(success=self.users.get(login) == password, handled=False)
        return AuthResult(success=False, handled=False)

    def start(self):
        self.controller.start()
        return self

    def stop(self):
        self.controller.stop()

    def wait_for(self, count, timeout=15):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.messages) >= count:
                    return list(self.messages)
            time.sleep(0.02)
        raise AssertionError(f"expected {count} messages, got {len(self.messages)}")

    def to(self, address):
        with self.lock:
            return [m for m in self.messages if address in m.rcpt_tos]


def client_tls_context(cert_path):
    context = ssl.create_default_context(cafile=cert_path)
    return context
