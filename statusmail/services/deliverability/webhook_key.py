"""The Event Webhook's verification key: pasted by the owner, read for every request."""
from ...extensions import db
from ...models import EventWebhookSettings
from .signature import load_public_key


def current_key_text():
    row = db.session.get(EventWebhookSettings, 1)
    return row.sendgrid_public_key if row is not None else None


def current_public_key():
    """The key to verify with, or ``None`` while the webhook is off (no key saved)."""
    text = current_key_text()
    return load_public_key(text) if text else None


def save_key(text, by):
    """Store a key (checked first: raises ``signature.InvalidKey``); ``""`` turns it off."""
    text = (text or "").strip()
    if text:
        load_public_key(text)
        text = "".join(text.split()) if "-----BEGIN" not in text else text
    row = EventWebhookSettings.get()
    row.sendgrid_public_key = text or None
    row.updated_by = by
    db.session.commit()
    return row
