"""Captured mail: what would have been sent while no provider is set, kept to be read."""
import email
import email.policy

from sqlalchemy import delete
from sqlalchemy.orm import defer

from ..extensions import db
from ..mail.capture_store import captured_usage
from ..models import CapturedMail
from . import audit
from .keyset import keyset_page

PER_PAGE = 50
# The raw source shown in the page; the whole of it is one link (or the .eml) away.
RAW_SHOWN_CHARS = 200_000


def describe_usage(max_bytes):
    """What the capture holds, against its cap, from the maintained totals."""
    messages, size = captured_usage()
    return {"messages": messages, "size": megabytes(size), "cap": megabytes(max_bytes),
            "percent": min(100, round(100 * size / max_bytes)) if max_bytes else 0}


def megabytes(size):
    return f"{size / (1024 * 1024):.1f} MB" if size >= 102.4 * 1024 else f"{size / 1024:.0f} KB"


def captured_page(recipient_contains="", after=None, before=None):
    """Newest first, a keyset page (no COUNT, no OFFSET: the capture can hold a copy of
    every notice); the raw bytes stay in the database until one mail is opened."""
    query = db.select(CapturedMail).options(defer(CapturedMail.raw))
    if recipient_contains:
        query = query.where(CapturedMail.recipient.icontains(recipient_contains, autoescape=True))
    return keyset_page(query, CapturedMail.id, PER_PAGE, after, before)


def read_captured(row):
    """Headers and body parts for display; odd or broken mail still shows what it can."""
    message = email.message_from_bytes(row.raw, policy=email.policy.default)
    return {
        "headers": [(name, _header_text(value)) for name, value in message.items()],
        "from": _header_text(message.get("From", row.sender)),
        "to": _header_text(message.get("To", row.recipient)),
        "subject": _header_text(message.get("Subject", row.subject)),
        "date": _header_text(message.get("Date", "")),
        "text": _body(message, "plain"),
        "html": _body(message, "html"),
    }


def raw_source(row, limit=RAW_SHOWN_CHARS):
    """The message as it would have been sent, as text to show escaped in a page."""
    text = row.raw.decode("utf-8", "replace")
    return {"size": len(row.raw), "text": text[:limit], "cut": len(text) > limit}


def _header_text(value):
    try:
        return str(value)
    except (ValueError, LookupError):
        return repr(value)


def _body(message, subtype):
    part = message.get_body((subtype,))
    if part is None:
        return None
    try:
        return part.get_content()
    except (LookupError, UnicodeError, KeyError):
        return (part.get_payload(decode=True) or b"").decode("utf-8", "replace")


def delete_all_captured():
    deleted = db.session.execute(delete(CapturedMail)).rowcount
    db.session.commit()
    audit.record("captured_mail_deleted", f"{deleted} captured mails deleted", count=deleted)
    return deleted
