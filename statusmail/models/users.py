"""Operators who log in to the admin site, their roles, sessions and invitations."""
import hashlib
import secrets
from functools import lru_cache

from flask_login import UserMixin
from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import db
from . import utcnow


# Lowest first: each role may do everything the ones before it may.
ROLES = ("viewer", "editor", "owner")
ROLE_LABELS = {"viewer": "Viewer (read-only)", "editor": "Editor (incidents, maintenance, "
               "components, subscribers, notices)", "owner": "Owner (everything, incl. users "
               "and email settings)"}


@lru_cache(maxsize=1)
def _dummy_password_hash():
    """A hash made the way real ones are, checked for unknown addresses: a wrong password
    then costs the same time whether or not the account exists (no enumeration by timing)."""
    return generate_password_hash(secrets.token_urlsafe(16))


class AdminUser(UserMixin, db.Model):
    __tablename__ = "admin_users"

    id = db.Column(db.Integer, primary_key=True)
    email = db.Column(db.String(254), unique=True, nullable=False)
    password_hash = db.Column(db.String(255), nullable=False)
    # The session generation: rotated with the password, and every AdminSession remembers
    # the value it started under, so a password change ends every session, wherever it
    # is made (admin page, reset link, ``create-admin``).
    session_token = db.Column(db.String(64), unique=True, nullable=False,
                              default=lambda: secrets.token_hex(32))
    # No default: whoever creates an account says which role it has (the migration made
    # the admins that existed before roles owners).
    role = db.Column(db.String(8), nullable=False)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    last_login_at = db.Column(db.DateTime)
    # Set by an owner: no sign-in, no session (see services/security/team.py).
    deactivated_at = db.Column(db.DateTime)

    # Not a column: the key of the session this request runs under (see get_id).
    session_key = None

    @property
    def is_active(self):
        return self.deactivated_at is None

    def has_role(self, role):
        """True if this admin's role is ``role`` or above it."""
        return ROLES.index(self.role) >= ROLES.index(role)

    def set_password(self, password):
        self.password_hash = generate_password_hash(password)
        self.session_token = secrets.token_hex(32)

    def check_password(self, password):
        return check_password_hash(self.password_hash, password)

    @staticmethod
    def check_password_of(user, password):
        """Exactly one hash check whether or not ``user`` exists; True only for a real match."""
        if user is None:
            check_password_hash(_dummy_password_hash(), password)
            return False
        return user.check_password(password)

    def password_fingerprint(self):
        """Bound into reset tokens: a token stops working once the password changes, and
        once the address changes (the link went to the old mailbox)."""
        return hashlib.sha256(f"{self.password_hash}\n{self.email}".encode()).hexdigest()[:16]

    def get_id(self):
        """Flask-Login keeps this in the signed cookie: the server-side session's key, never
        anything that would let a copied cookie outlive logout."""
        return self.session_key


def hash_session_key(key):
    return hashlib.sha256(key.encode()).hexdigest()


class AdminSession(db.Model):
    """One logged-in browser. The cookie holds a random key; only its hash is stored, so
    the table cannot be replayed. Deleting the row ends the session (logout), and so does a
    password change (``generation`` no longer matches the user's)."""
    __tablename__ = "admin_sessions"

    id = db.Column(db.Integer, primary_key=True)
    key_hash = db.Column(db.String(64), unique=True, nullable=False)
    admin_user_id = db.Column(db.ForeignKey("admin_users.id", ondelete="CASCADE"),
                              nullable=False, index=True)
    generation = db.Column(db.String(64), nullable=False)
    client_ip = db.Column(db.String(45))
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    last_seen_at = db.Column(db.DateTime, nullable=False, default=utcnow)


class AdminInvitation(db.Model):
    """An owner's invitation to join with a role. The link in the mail names this row and
    its ``nonce``; re-sending draws a new nonce (the old link dies), and a revoked, accepted
    or expired row accepts nothing. Rows stay as the record of who invited whom."""
    __tablename__ = "admin_invitations"

    id = db.Column(db.Integer, primary_key=True)
    email = db.Column(db.String(254), nullable=False, index=True)
    role = db.Column(db.String(8), nullable=False)
    nonce = db.Column(db.String(64), nullable=False, default=lambda: secrets.token_urlsafe(24))
    invited_by_id = db.Column(db.ForeignKey("admin_users.id", ondelete="SET NULL"))
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    sent_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    expires_at = db.Column(db.DateTime, nullable=False)
    accepted_at = db.Column(db.DateTime)
    revoked_at = db.Column(db.DateTime)

    @property
    def pending(self):
        return self.accepted_at is None and self.revoked_at is None
