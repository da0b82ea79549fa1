"""Saving Email settings. Secrets are encrypted at rest and never come back out to a page:
a blank secret field keeps the stored one, and only an explicit "remove" clears it."""
from .. import crypto
from ..extensions import db
from ..models import SiteSettings
from . import audit
from .provider_health import clear_provider_failure

PLAIN_FIELDS = (
    "status_page_name", "timezone", "list_id", "delivery_retention_days", "provider",
    "smtp_host", "smtp_port", "smtp_security", "smtp_username", "smtp_timeout",
    "smtp_tls_unverified_host", "from_address", "from_name", "reply_to",
    "rate_per_second", "rate_per_day", "maintenance_reminder_minutes",
    "maintenance_notify_scheduled", "maintenance_notify_started", "maintenance_notify_completed",
)


def save_email_settings(values):
    """Apply validated form values and commit; return warnings worth showing the operator.

    ``values`` maps form field names to cleaned values (``form.data``). Without the provider
    fields (the environment fixes them) only the rest is saved.
    """
    settings = SiteSettings.get()
    before = audit.snapshot(settings, (name for name in PLAIN_FIELDS if name in values))
    secrets_changed = []
    for name in PLAIN_FIELDS:
        if name in values:
            value = values[name]
            setattr(settings, name, None if value == "" else value)
    if "provider" in values:
        secrets_changed = [name for name in ("smtp_password", "sendgrid_api_key")
                           if values[name] or values["remove_" + name]]
        settings.smtp_password_encrypted = _secret(
            settings.smtp_password_encrypted, values["smtp_password"],
            values["remove_smtp_password"])
        settings.sendgrid_api_key_encrypted = _secret(
            settings.sendgrid_api_key_encrypted, values["sendgrid_api_key"],
            values["remove_sendgrid_api_key"])
        # New settings deserve a new try: sending resumes if it stopped on a provider failure.
        clear_provider_failure()
    db.session.commit()
    audit.record("email_settings_saved", "Email settings saved",
                 changed=sorted(audit.changed(before, settings) + secrets_changed))
    warnings = settings_warnings(settings)
    new_key = values.get("sendgrid_api_key")
    if new_key and not new_key.startswith("SG."):
        warnings.append("SendGrid API keys start with “SG.”: check that you pasted the whole key.")
    return warnings


def _secret(stored, typed, remove):
    if remove:
        return None
    return crypto.encrypt(typed) if typed else stored


def settings_warnings(settings):
    """Combinations that are allowed but rarely what the operator meant."""
    if settings.provider != "smtp":
        return []
    found = []
    port, security = settings.smtp_port, settings.smtp_security
    if security == "ssl" and port == 587:
        found.append("SSL/TLS on port 587 rarely works: port 587 expects STARTTLS. Choose "
                     "STARTTLS, or port 465 for SSL/TLS.")
    if security == "starttls" and port == 465:
        found.append("STARTTLS on port 465 rarely works: port 465 expects SSL/TLS from the first "
                     "byte. Choose SSL/TLS, or port 587 for STARTTLS.")
    if security == "none" and settings.smtp_password_encrypted:
        found.append("No encryption with a password: the password and every mail cross the "
                     "network readable by anyone on the way. Choose STARTTLS or SSL/TLS unless "
                     "the server runs on this machine or a private network you trust.")
    if settings.smtp_username and not settings.smtp_password_encrypted:
        found.append("A username is set but no password is stored: most servers will refuse "
                     "the login.")
    unverified = settings.smtp_tls_unverified_host
    if unverified and settings.smtp_host and unverified.lower() != settings.smtp_host.lower():
        found.append(f"The self-signed certificate host ({unverified}) is not the SMTP host "
                     f"({settings.smtp_host}), so the server's certificate is still verified.")
    if port == 25:
        found.append("Port 25 is often blocked for outgoing mail by hosting and cloud providers; "
                     "if the test send times out, use 587 or 465.")
    return found


SECURITY_LABELS = {"starttls": "STARTTLS", "ssl": "SSL/TLS", "none": "no encryption"}


def describe_delivery(settings):
    """One line saying where mail goes now."""
    if settings.provider == "smtp":
        if not settings.smtp_host:
            return "SMTP is selected, but no host is set: sending fails until you add one."
        login = f", logging in as {settings.smtp_username}" if settings.smtp_username else ""
        return (f"SMTP server {settings.smtp_host}:{settings.smtp_port} "
                f"({SECURITY_LABELS.get(settings.smtp_security, settings.smtp_security)}{login}).")
    if settings.provider == "sendgrid":
        if not settings.sendgrid_api_key_encrypted:
            return ("SendGrid is selected, but no API key is stored: sending fails until you "
                    "add one.")
        return "SendGrid's Mail Send API."
    return "No provider: mail is captured locally (see Captured mail); nothing leaves this server."
