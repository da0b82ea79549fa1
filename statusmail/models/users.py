"""Operators who log in to the admin site."""
import hashlib
import secrets

from flask_login import UserMixin
from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import db
from . import utcnow


class AdminUser(UserMixin, db.Model):
    __tablename__ = "admin_users"

    id = db.Column(db.Integer, primary_key=True)
    email = db.Column(db.String(254), unique=True, nullable=False)
    password_hash = db.Column(db.String(255), nullable=False)
    # Rotated with the password so that existing sessions end when it changes.
    session_token = db.Column(db.String(64), unique=True, nullable=False,
                              default=lambda: secrets.token_hex(32))
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    last_login_at = db.Column(db.DateTime)

    def set_password(self, password):
        self.password_hash = generate_password_hash(password)
        self.session_token = secrets.token_hex(32)

    def check_password(self, password):
        return check_password_hash(self.password_hash, password)

    def password_fingerprint(self):
        """Bound into reset tokens: a token stops working once the password changes."""
        return hashlib.sha256(self.password_hash.encode()).hexdigest()[:16]

    def get_id(self):
        return self.session_token
