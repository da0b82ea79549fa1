"""SendGrid's v3 ``mail/send`` API over HTTPS."""
import socket
from email.utils import parseaddr

import requests
from flask import current_app

from . import errors
from .addresses import credential_problem, require_recipient, require_sender
from .base import Transport
from .compose import display_sender, envelope_sender

SENDGRID_DEFAULT_URL = "https://api.sendgrid.com"


class SendGridTransport(Transport):
    """``SENDGRID_API_URL`` (config) points it elsewhere: the EU region, or a test double."""

    name = "sendgrid"

    def __init__(self, api_key, timeout):
        self.api_key, self.timeout = api_key, timeout
        self.session = None

    def open(self):
        problem = credential_problem(self.api_key, "SendGrid API key")
        if problem:  # requests would raise UnicodeEncodeError writing the header
            raise errors.UnsendableSettingError(problem)
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {self.api_key}"

    def close(self):
        if self.session is not None:
            self.session.close()
            self.session = None

    def send(self, message, raw=None):
        if self.session is None:
            self.open()
        require_sender(envelope_sender(message))
        require_recipient(message.recipients[0])
        base = current_app.config.get("SENDGRID_API_URL") or SENDGRID_DEFAULT_URL
        url = base.rstrip("/") + "/v3/mail/send"
        try:
            response = self.session.post(url, json=_sendgrid_payload(message), timeout=self.timeout)
        except requests.Timeout:
            raise errors.SmtpTimeoutError(
                f"SendGrid did not answer within {self.timeout} s") from None
        except requests.ConnectionError as exc:
            if _caused_by(exc, socket.gaierror):
                raise errors.DnsError(f"cannot resolve the SendGrid API host ({url})") from None
            raise errors.ConnectionRefusedMailError(f"cannot reach SendGrid ({exc})") from None
        if response.status_code == 202:
            return 202, response.headers.get("X-Message-Id", "accepted")
        detail = _sendgrid_errors(response)
        if response.status_code in (401, 403):
            raise errors.SmtpAuthError(
                "SendGrid rejected the API key (it needs the Mail Send permission)",
                response.status_code, detail)
        if response.status_code == 429 or response.status_code >= 500:
            raise errors.TemporaryError("SendGrid is busy or failing", response.status_code, detail)
        raise errors.ProviderError(f"SendGrid refused the message ({display_sender(message)})",
                                   response.status_code, detail)


def _sendgrid_payload(message):
    """SendGrid refuses empty content values, and wants text/plain before text/html."""
    name, address = (message.sender if isinstance(message.sender, tuple)
                     else parseaddr(message.sender))
    content = [{"type": kind, "value": value}
               for kind, value in (("text/plain", message.body), ("text/html", message.html))
               if value]
    payload = {
        "personalizations": [{"to": [{"email": message.recipients[0]}]}],
        "from": {"email": address, "name": name} if name else {"email": address},
        "subject": message.subject,
        "content": content,
        "headers": {**(message.extra_headers or {}), "Message-ID": message.msgId},
    }
    if message.reply_to:
        payload["reply_to"] = {"email": message.reply_to}
    return payload


def _caused_by(exc, kind):
    while exc is not None:
        if isinstance(exc, kind):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def _sendgrid_errors(response):
    try:
        return "; ".join(e.get("message", "") for e in response.json().get("errors", []))
    except (ValueError, AttributeError):  # not JSON, or not SendGrid's error shape
        return response.text[:500]
