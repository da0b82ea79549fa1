"""Operator-editable settings: one row, read per use (never frozen into app.config)."""
from ..extensions import db
from . import utcnow

PROVIDERS = ("capture", "smtp", "sendgrid")
SMTP_SECURITY = ("starttls", "ssl", "none")


class SiteSettings(db.Model):
    __tablename__ = "site_settings"

    id = db.Column(db.Integer, primary_key=True)
    status_page_name = db.Column(db.String(120), nullable=False, default="Status")
    notifications_enabled = db.Column(db.Boolean, nullable=False, default=False)
    timezone = db.Column(db.String(64), nullable=False, default="UTC")
    # The List-Id of every notice (without <>); empty: the base URL's host name.
    list_id = db.Column(db.String(255))

    # The mail layout's branding: a logo (https only) above the page name and the accent
    # colour of its buttons and links (#rrggbb); empty: the page name alone, statusmail blue.
    mail_logo_url = db.Column(db.String(2048))
    mail_accent_color = db.Column(db.String(7))
    # The language of the status page and of every subscriber mail (a locale code).
    language = db.Column(db.String(16), nullable=False, default="en", server_default="en")

    # Maintenance notices: the reminder's lead time (0: none) and which stages mail by
    # default; each window keeps its own copy, set when it is scheduled.
    maintenance_reminder_minutes = db.Column(db.Integer, nullable=False, default=60,
                                             server_default="60")
    maintenance_notify_scheduled = db.Column(db.Boolean, nullable=False, default=True,
                                             server_default=db.true())
    maintenance_notify_started = db.Column(db.Boolean, nullable=False, default=True,
                                           server_default=db.true())
    maintenance_notify_completed = db.Column(db.Boolean, nullable=False, default=True,
                                             server_default=db.true())

    provider = db.Column(db.String(16), nullable=False, default="capture")
    from_address = db.Column(db.String(254))
    from_name = db.Column(db.String(120))
    reply_to = db.Column(db.String(254))
    smtp_host = db.Column(db.String(255))
    smtp_port = db.Column(db.Integer, nullable=False, default=587)
    smtp_username = db.Column(db.String(255))
    smtp_password_encrypted = db.Column(db.Text)
    smtp_security = db.Column(db.String(16), nullable=False, default="starttls")
    smtp_timeout = db.Column(db.Integer, nullable=False, default=15)
    # Certificates are verified unless the operator names this one self-signed host.
    smtp_tls_unverified_host = db.Column(db.String(255))
    sendgrid_api_key_encrypted = db.Column(db.Text)

    rate_per_second = db.Column(db.Integer)
    rate_per_day = db.Column(db.Integer)
    delivery_retention_days = db.Column(db.Integer, nullable=False, default=90)
    # The audit log is kept longer than the delivery history: who did what is asked later.
    audit_retention_days = db.Column(db.Integer, nullable=False, default=365,
                                     server_default="365")

    # A keyed digest of the delivery settings the environment last fixed (none: the admin's
    # own were in force): a change of them gives a paused provider a new try.
    mail_environment_digest = db.Column(db.String(64))

    # Set when the provider refuses us as a whole (auth, TLS): sending waits for the operator.
    provider_failure = db.Column(db.Text)
    provider_failure_at = db.Column(db.DateTime)

    updated_at = db.Column(db.DateTime, nullable=False, default=utcnow, onupdate=utcnow)

    @classmethod
    def get(cls):
        """The single settings row, created on first use."""
        row = db.session.get(cls, 1)
        if row is None:
            row = cls(id=1)
            db.session.add(row)
            db.session.flush()
        return row

    @property
    def sender(self):
        return (self.from_name, self.from_address) if self.from_name else self.from_address
