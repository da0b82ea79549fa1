"""The delivery settings in force: the environment's while its variables are set, else the
admin's own.

``STATUSMAIL_SMTP_URL`` / ``STATUSMAIL_SENDGRID_API_KEY`` and the sender variables are
never copied into the settings row: every sender reads :func:`delivery_settings`, which
lays the environment's values over the row at use time. Unset the variables and restart,
and the values the operator saved in Email settings are in force again, untouched.

The row keeps only a keyed digest of the environment's values (:func:`note_mail_environment`,
run by the release step and by each worker as it starts), so that a change of them —
new variables, changed ones, or unset ones handing delivery back to the admin — gives a
provider paused by a failure a new try, as saving Email settings does.
"""
import hashlib
import hmac
import json

from flask import current_app
from sqlalchemy.exc import IntegrityError

from .. import crypto
from ..extensions import db
from ..models import SiteSettings
from .provider_health import clear_provider_failure

# What the environment fixes, besides the secrets: these the admin does not edit while set.
SMTP_FIELDS = ("smtp_host", "smtp_port", "smtp_security", "smtp_timeout", "smtp_username")
SENDER_FIELDS = ("from_address", "from_name", "reply_to")


class EnvironmentOverlay:
    """The settings row with the environment's delivery fields laid over it, read-only.

    Senders read secrets encrypted (``*_encrypted``, as stored), so the environment's are
    encrypted here once per use; everything else is the row's own. Writes go to the row,
    except to a field the environment fixes: that would be lost, so it is refused.
    """

    def __init__(self, row, fields):
        object.__setattr__(self, "_row", row)
        object.__setattr__(self, "_fixed", _overrides(fields))

    def __getattr__(self, name):
        fixed = object.__getattribute__(self, "_fixed")
        if name in fixed:
            return fixed[name]
        return getattr(object.__getattribute__(self, "_row"), name)

    def __setattr__(self, name, value):
        if name in self._fixed:
            raise AttributeError(f"{name} is set by the environment")
        setattr(self._row, name, value)

    @property
    def sender(self):
        return (self.from_name, self.from_address) if self.from_name else self.from_address


def _overrides(fields):
    fixed = {name: fields[name] for name in ("provider", *SENDER_FIELDS)}
    if fields["provider"] == "smtp":
        fixed.update({name: fields[name] for name in SMTP_FIELDS})
        fixed["smtp_password_encrypted"] = (crypto.encrypt(fields["smtp_password"])
                                            if fields["smtp_password"] else None)
        # The admin's self-signed exemption named the admin's server, not this one; a
        # private CA for it goes in STATUSMAIL_SMTP_CA_FILE.
        fixed["smtp_tls_unverified_host"] = None
    else:
        fixed["sendgrid_api_key_encrypted"] = crypto.encrypt(fields["sendgrid_api_key"])
    return fixed


def mail_environment():
    """The delivery fields the environment fixes (parsed at start-up), or ``None``."""
    return current_app.config.get("MAIL_ENVIRONMENT")


def delivery_settings(row=None):
    """What a sender reads: the row, or the row under the environment's values."""
    row = row if row is not None else SiteSettings.get()
    fields = mail_environment()
    return EnvironmentOverlay(row, fields) if fields else row


def _digest(fields):
    """Keyed, so the stored digest is no offline test for a guessed password."""
    canonical = json.dumps(fields, sort_keys=True).encode()
    return hmac.new(current_app.config["SECRET_KEY"].encode(), canonical,
                    hashlib.sha256).hexdigest()


def note_mail_environment(fields):
    """Record which environment settings are in force; ``True`` when that changed.

    Writes nothing while neither the environment nor an earlier run set any (the admin
    decides, as always), so every worker may run it as it starts.
    """
    try:
        return _note(fields)
    except IntegrityError:
        # Another process created the settings row at the same moment; it exists now.
        db.session.rollback()
        return _note(fields)


def _note(fields):
    digest = _digest(fields) if fields else None
    row = db.session.get(SiteSettings, 1)
    if (row.mail_environment_digest if row is not None else None) == digest:
        db.session.rollback()
        return False
    row = row or SiteSettings.get()
    row.mail_environment_digest = digest
    clear_provider_failure()  # other settings deserve a new try
    db.session.commit()
    return True
