"""SendGrid's v3 ``mail/send`` API over HTTPS.

One message per request (:meth:`SendGridTransport.send`), or one notice for up to
:data:`MAX_PERSONALIZATIONS` recipients per request (:meth:`~SendGridTransport.send_personalized`,
built by :mod:`.sendgrid_batch`). Either way every recipient's copy carries
``custom_args`` naming its delivery, which SendGrid hands back with each event.
"""
import re
import socket
from email.utils import parseaddr

import requests
from flask import current_app

from . import errors
from .addresses import credential_problem, require_recipient, require_sender
from .base import Transport
from .compose import display_sender, envelope_sender

SENDGRID_DEFAULT_URL = "https://api.sendgrid.com"
# SendGrid's limits per mail/send request: personalizations, and recipients in all of them.
MAX_PERSONALIZATIONS = 1000
_PERSONALIZATION_FIELD = re.compile(r"personalizations\.(\d+)(?:\.|$)")


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
        return self._post(_sendgrid_payload(message), display_sender(message))

    def send_personalized(self, shared, personalizations):
        """One request for many recipients of the same mail; ``(202, X-Message-Id)``.

        ``shared`` holds what every copy has (from, subject, content, headers); each
        personalization its recipient, headers, substitutions and custom_args. A 400
        naming some personalizations raises :class:`~.errors.PersonalizationsRefusedError`.
        """
        if self.session is None:
            self.open()
        if not 0 < len(personalizations) <= MAX_PERSONALIZATIONS:
            raise ValueError(f"{len(personalizations)} personalizations in one request")
        return self._post({**shared, "personalizations": personalizations},
                          shared["from"]["email"])

    def _post(self, payload, sender):
        base = current_app.config.get("SENDGRID_API_URL") or SENDGRID_DEFAULT_URL
        url = base.rstrip("/") + "/v3/mail/send"
        try:
            response = self.session.post(url, json=payload, timeout=self.timeout)
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
        refused = _refused_personalizations(response) if response.status_code == 400 else {}
        if refused and len(payload["personalizations"]) > 1:
            raise errors.PersonalizationsRefusedError(
                f"SendGrid refused {len(refused)} of {len(payload['personalizations'])} "
                "recipients of the request", response.status_code, detail, refused)
        raise errors.ProviderError(f"SendGrid refused the message ({sender})",
                                   response.status_code, detail)


def _sendgrid_payload(message):
    """SendGrid refuses empty content values, and wants text/plain before text/html."""
    name, address = (message.sender if isinstance(message.sender, tuple)
                     else parseaddr(message.sender))
    content = [{"type": kind, "value": value}
               for kind, value in (("text/plain", message.body), ("text/html", message.html))
               if value]
    personalization = {"to": [{"email": message.recipients[0]}]}
    custom_args = getattr(message, "custom_args", None)
    if custom_args:
        personalization["custom_args"] = {name: str(value) for name, value in custom_args.items()}
    payload = {
        "personalizations": [personalization],
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


def _error_list(response):
    try:
        found = response.json().get("errors", [])
    except (ValueError, AttributeError):  # not JSON, or not SendGrid's error shape
        return []
    return [e for e in found if isinstance(e, dict)] if isinstance(found, list) else []


def _refused_personalizations(response):
    """``{index: message}`` for the errors whose field names a personalization."""
    refused = {}
    for error in _error_list(response):
        found = _PERSONALIZATION_FIELD.match(str(error.get("field") or ""))
        if found:
            index = int(found.group(1))
            refused[index] = "; ".join(filter(None, (refused.get(index),
                                                     str(error.get("message", "")))))
    return refused


def _sendgrid_errors(response):
    try:
        return "; ".join(e.get("message", "") for e in response.json().get("errors", []))
    except (ValueError, AttributeError):  # not JSON, or not SendGrid's error shape
        return response.text[:500]
