"""Operators who log in to the admin site, and their sessions."""
import hashlib
import secrets
from functools import lru_cache

from flask_login import UserMixin
from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import db
from . import utcnow


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
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    last_login_at = db.Column(db.DateTime)

    # Not a column: the key of the session this request runs under (see get_id).
    session_key = None

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
        """Bound into reset tokens: a token stops working once the password changes."""
        return hashlib.sha256(self.password_hash.encode()).hexdigest()[:16]

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
