"""DKIM signing keys: the private half encrypted at rest, the public half as published."""
from ..extensions import db
from . import utcnow

ALGORITHMS = ("rsa", "ed25519")


class DkimKey(db.Model):
    """One key under one selector. Enabled keys sign every SMTP and captured mail: at most
    one per algorithm, so an RSA and an Ed25519 key can sign side by side (RFC 8463)."""

    __tablename__ = "dkim_keys"
    # Ids are in the enable/delete URLs: never hand a deleted key's id to the next one.
    __table_args__ = (db.UniqueConstraint("domain", "selector", name="uq_dkim_keys_domain_selector"),
                      {"sqlite_autoincrement": True})

    id = db.Column(db.Integer, primary_key=True)
    domain = db.Column(db.String(253), nullable=False)
    selector = db.Column(db.String(63), nullable=False)
    algorithm = db.Column(db.String(16), nullable=False)  # one of ALGORITHMS
    key_bits = db.Column(db.Integer, nullable=False)
    # The PKCS#8 PEM, Fernet-encrypted (crypto.encrypt); rotated with the other secrets.
    private_key_encrypted = db.Column(db.Text, nullable=False)
    # The p= value of the DNS record (base64), safe to show.
    public_key = db.Column(db.Text, nullable=False)
    origin = db.Column(db.String(16), nullable=False)  # "generated" or "pasted"
    enabled = db.Column(db.Boolean, nullable=False, default=False, server_default=db.false())
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    enabled_at = db.Column(db.DateTime)
