"""One notice as SendGrid personalizations: the mail once, each recipient's part apart.

A notice is rendered once with placeholder words for the per-subscriber parts (see
:class:`~.compose.MailTemplate`). For SendGrid the shared part (from, subject, content and
the headers every copy has) goes into the request once, and each recipient gets a
personalization: its ``to``, the headers that are its own (Message-ID, the one-click
List-Unsubscribe pair), ``substitutions`` that put its links in place of the placeholders
in subject and content, and ``custom_args`` naming its delivery, which SendGrid hands back
with every event about the message.

SendGrid substitutes the same value in the text and the HTML part. A value that HTML
escaping would change cannot stand in both, so a recipient with such a value in the HTML
is sent on its own (:meth:`PersonalizedNotice.personalization` returns None); the links
are URL-safe tokens, so in practice nobody is.
"""
from email.utils import parseaddr

from markupsafe import escape

from .addresses import require_recipient, require_sender
from .compose import envelope_sender

# Per recipient whatever they hold: they name one copy (RFC 8058 wants the pair together).
OWN_HEADERS = ("List-Unsubscribe", "List-Unsubscribe-Post")


def _replace(text, values):
    for placeholder, value in values.items():
        text = text.replace(placeholder, value)
    return text


class PersonalizedNotice:
    """Built once per batch from the rendered notice's message and placeholder words."""

    def __init__(self, message, placeholders):
        require_sender(envelope_sender(message))
        self.message = message
        subject, text, html = message.subject, message.body or "", message.html or ""
        headers = dict(message.extra_headers or {})
        self.own_headers = {name: value for name, value in headers.items()
                            if name in OWN_HEADERS or any(p in value for p in placeholders)}
        self.shared = _shared_fields(message, {name: value for name, value in headers.items()
                                               if name not in self.own_headers})
        self.substituted = [p for p in placeholders if p in subject or p in text or p in html]
        self.in_html = [p for p in placeholders if p in html]

    def personalization(self, values, custom_args):
        """This recipient's personalization, or None when it needs a message of its own.

        Raises :class:`~.errors.UnsendableError` for an address SendGrid or a mailbox
        could not take, as the per-message path would.
        """
        if any(str(escape(values[p])) != values[p] for p in self.in_html):
            return None
        recipient = _replace(self.message.recipients[0], values)
        require_recipient(recipient)
        headers = {name: _replace(value, values) for name, value in self.own_headers.items()}
        headers["Message-ID"] = _replace(self.message.msgId, values)
        person = {"to": [{"email": recipient}], "headers": headers,
                  "custom_args": {name: str(value) for name, value in custom_args.items()}}
        if self.substituted:
            person["substitutions"] = {p: values[p] for p in self.substituted}
        return person

    @staticmethod
    def message_id(person):
        return person["headers"]["Message-ID"]


def _shared_fields(message, headers):
    """What every copy has, as ``mail/send`` takes it (text/plain before text/html)."""
    name = message.sender[0] if isinstance(message.sender, tuple) else parseaddr(message.sender)[0]
    fields = {
        "from": {"email": envelope_sender(message), **({"name": name} if name else {})},
        "subject": message.subject,
        "content": [{"type": kind, "value": value}
                    for kind, value in (("text/plain", message.body), ("text/html", message.html))
                    if value],
    }
    if headers:
        fields["headers"] = headers
    if message.reply_to:
        fields["reply_to"] = {"email": message.reply_to}
    return fields
