"""Turning a Flask-Mail ``Message`` into wire bytes, once per notice.

Flask-Mail's own serialiser base64-encodes bodies and folds ``List-Unsubscribe`` into
an RFC 2047 word (which breaks one-click unsubscribe), so messages are serialised here
with the standard library and a non-folding SMTP policy. Building MIME costs ~2 ms, so
a notice is serialised once with placeholders and each subscriber's copy is made by
replacing them in the bytes (:class:`MailTemplate`).
"""
import re
import secrets
from dataclasses import dataclass
from email.errors import MessageError
from email.headerregistry import Address
from email.message import EmailMessage
from datetime import datetime, timezone
from email.utils import format_datetime, formataddr, parseaddr

from flask_mail import Message
from markupsafe import escape

from . import errors
from .addresses import SMTP_POLICY, require_recipient, require_sender

# 8bit bodies keep placeholders intact; longer lines need quoted-printable.
_MAX_8BIT_LINE = 900
# What HTML escaping would change, or what would break a header line: a value holding one
# of these is not put into the wire bytes as it is.
_NEEDS_ENCODING = re.compile(r"[&<>'\"\r\n]")


def sender_domain(address):
    return parseaddr(address)[1].rpartition("@")[2] or "localhost"


def make_message_id(domain, prefix=""):
    return f"<{prefix}{secrets.token_hex(8)}@{domain}>"


def build_message(*, sender, recipient, subject, text, html, reply_to=None, headers=None,
                  message_id=None):
    """A Flask-Mail message with the headers every statusmail mail carries."""
    sender_address = sender[1] if isinstance(sender, tuple) else sender
    msg = Message(subject=subject, recipients=[recipient], body=text, html=html, sender=sender,
                  reply_to=reply_to, extra_headers=dict(headers or {}))
    msg.msgId = message_id or make_message_id(sender_domain(sender_address))
    # Flask-Mail flattens (name, address) to "name <address>", which a comma in the name
    # turns into two addresses; the pair is what the helpers below expect.
    msg.sender = sender
    return msg


def _cte(body):
    if all(len(line) <= _MAX_8BIT_LINE for line in body.splitlines()):
        return "7bit" if body.isascii() else "8bit"
    return "quoted-printable"


def _sender_header(sender):
    if isinstance(sender, tuple):
        name, address = sender
        local, _, domain = address.rpartition("@")
        return Address(display_name=name or "", username=local, domain=domain)
    return sender


def _one_line(value):
    return " ".join(str(value).split())


def _set_text_header(out, name, value):
    """Set a free-text header that cannot smuggle a line break, even RFC 2047-encoded."""
    out[name] = _one_line(value)
    decoded = str(out[name])
    if _one_line(decoded) != decoded:
        del out[name]
        out[name] = _one_line(decoded).replace("=?", "= ?")


def check_addresses(msg):
    """Raise a named error for an address the envelope or a header would garble."""
    require_sender(envelope_sender(msg))
    if msg.reply_to:
        require_sender(msg.reply_to, role="Reply-To")
    for address in msg.recipients:
        require_recipient(address)


def to_bytes(msg):
    """Serialise with CRLF line ends, unfolded headers and readable bodies.

    Raises :class:`~.errors.UnsendableError` (never a bare library exception) for what
    cannot be serialised.
    """
    check_addresses(msg)
    try:
        return _serialise(msg)
    except (MessageError, ValueError, UnicodeError) as exc:
        raise errors.UnsendableError(f"the message cannot be encoded ({exc})") from None


def _serialise(msg):
    out = EmailMessage(policy=SMTP_POLICY)
    _set_text_header(out, "Subject", msg.subject)
    out["From"] = _sender_header(msg.sender)
    out["To"] = ", ".join(msg.recipients)
    if msg.reply_to:
        out["Reply-To"] = msg.reply_to
    out["Date"] = format_datetime(datetime.now(timezone.utc))
    out["Message-ID"] = msg.msgId
    for name, value in (msg.extra_headers or {}).items():
        out[name] = value
    out.set_content(msg.body or "", cte=_cte(msg.body or ""))
    if msg.html:
        out.add_alternative(msg.html, subtype="html", cte=_cte(msg.html))
    return out.as_bytes()


def envelope_sender(msg):
    return msg.sender[1] if isinstance(msg.sender, tuple) else parseaddr(msg.sender)[1]


def display_sender(msg):
    return formataddr(msg.sender) if isinstance(msg.sender, tuple) else msg.sender


@dataclass(frozen=True, slots=True)
class Envelope:
    """What a transport reads of a message it is handed wire bytes for (``msgId`` named
    as Flask-Mail names it): lighter to make per recipient than a copy of the message."""
    sender: object
    recipients: list
    subject: str
    msgId: str


class MailTemplate:
    """One notice rendered once; :meth:`personalize` makes each recipient's copy.

    ``placeholders`` maps placeholder tokens (plain ASCII words) to their roles. When a
    placeholder did not survive serialisation intact, every copy is built in full
    instead: slower, never wrong. The wire bytes are split at the placeholders once, so
    a copy is one join of the pieces with the recipient's values.
    """

    def __init__(self, message, placeholders):
        self.message = message
        self.placeholders = tuple(placeholders)
        self.raw = to_bytes(message)
        self.fast = all(self.raw.count(p.encode()) >= 1 for p in self.placeholders)
        # Odd pieces are the placeholders (the pattern's one group), even ones the bytes
        # between them.
        pattern = b"(" + b"|".join(re.escape(p.encode()) for p in self.placeholders) + b")"
        self.pieces = re.split(pattern, self.raw) if self.placeholders else [self.raw]

    def _replace_text(self, text, values):
        for placeholder, value in values.items():
            text = text.replace(placeholder, value)
        return text

    def personalize_message(self, values):
        """A Flask-Mail message for this recipient (for providers that take fields)."""
        base = self.message
        headers = {k: self._replace_text(v, values) for k, v in (base.extra_headers or {}).items()}
        html_values = {k: str(escape(v)) for k, v in values.items()}
        personal = Message(subject=self._replace_text(base.subject, values),
                           recipients=[self._replace_text(r, values) for r in base.recipients],
                           body=self._replace_text(base.body or "", values),
                           html=self._replace_text(base.html, html_values) if base.html else None,
                           sender=base.sender, reply_to=base.reply_to, extra_headers=headers)
        personal.msgId = self._replace_text(base.msgId, values)
        personal.sender = base.sender
        return personal

    def personalize_bytes(self, values):
        """Wire bytes for this recipient: the pieces joined when every value may stand
        as it is in headers, text and HTML alike; a full build otherwise."""
        if self.fast and all(v.isascii() and not _NEEDS_ENCODING.search(v)
                             for v in values.values()):
            encoded = {placeholder.encode(): value.encode() for placeholder, value in values.items()}
            pieces = self.pieces
            return b"".join([encoded[piece] if index % 2 else piece
                             for index, piece in enumerate(pieces)])
        return to_bytes(self.personalize_message(values))
