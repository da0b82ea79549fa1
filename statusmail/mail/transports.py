"""Transports: SMTP, SendGrid's v3 API, and local capture.

Each is opened from the settings row at send time (settings change without a restart),
keeps one connection for many messages, and raises only :mod:`.errors` exceptions.
"""
from flask import current_app

from .. import crypto
from . import errors
from .addresses import require_recipient, require_sender
from .base import Transport
from .capture_store import store_captured
from .compose import envelope_sender, sender_domain
from .sendgrid import SendGridTransport
from .signing import enabled_signer
from .smtp import SmtpTransport

__all__ = ["open_transport", "Transport", "CaptureTransport", "SmtpTransport",
           "SendGridTransport", "captured_id"]
CAPTURED_REPLY_PREFIX = "captured locally as #"


def open_transport(settings, secrets=None):
    """The transport the settings ask for; capture while none is configured.

    SMTP and capture sign with the enabled DKIM keys; SendGrid's API takes fields, not
    MIME, and SendGrid signs with the domain authenticated in its own settings.
    ``secrets`` (``smtp_password``, ``sendgrid_api_key``) replace the stored, encrypted ones
    they name: Email settings tries typed values before they are saved.
    """
    secrets = secrets or {}
    if settings.provider == "smtp" and settings.smtp_host:
        password = _secret(secrets.get("smtp_password"), settings.smtp_password_encrypted)
        return _signed(SmtpTransport(
            host=settings.smtp_host, port=settings.smtp_port, security=settings.smtp_security,
            username=settings.smtp_username or None, password=password,
            timeout=settings.smtp_timeout, unverified_host=settings.smtp_tls_unverified_host,
            helo_domain=sender_domain(settings.from_address or ""),
            ca_file=current_app.config.get("STATUSMAIL_SMTP_CA_FILE"),
        ))
    api_key = secrets.get("sendgrid_api_key")
    if settings.provider == "sendgrid" and (api_key or settings.sendgrid_api_key_encrypted):
        api_key = _secret(api_key, settings.sendgrid_api_key_encrypted)
        return SendGridTransport(api_key, timeout=settings.smtp_timeout)
    if settings.provider in ("smtp", "sendgrid"):
        raise errors.NotConfiguredError(f"{settings.provider} is selected but its host or key "
                                        "is missing; complete Email settings.")
    return _signed(CaptureTransport())


def _signed(transport):
    transport.signer = enabled_signer()
    return transport


def _secret(typed, stored):
    if typed:
        return typed
    if not stored:
        return None
    try:
        return crypto.decrypt(stored)
    except crypto.SecretUnreadable as exc:
        raise errors.SecretUnreadableError(str(exc)) from None


class CaptureTransport(Transport):
    """Stores mail in the database (admin → Captured mail) instead of sending it.

    The row joins the caller's transaction, so it is committed with the delivery state.
    """

    name = "capture"

    def send(self, message, raw=None):
        raw = self.wire(message, raw)
        require_sender(envelope_sender(message))
        require_recipient(message.recipients[0])
        row = store_captured(envelope_sender(message), message.recipients[0],
                             message.subject[:998], raw, current_app.config["CAPTURE_MAX_BYTES"])
        return 250, f"{CAPTURED_REPLY_PREFIX}{row.id}"


def captured_id(reply):
    """The captured mail's id in the reply :class:`CaptureTransport` gave; None otherwise."""
    number = (reply or "").removeprefix(CAPTURED_REPLY_PREFIX)
    if number != reply and number.isascii() and number.isdigit():
        return int(number)
    return None
