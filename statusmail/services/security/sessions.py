"""Server-side admin sessions.

The signed cookie carries only a random key; the row it names is the session. That is
what makes logout real (the row is deleted, so a copied cookie stops working) and lets the
server enforce both timeouts: ``SESSION_IDLE_MINUTES`` since the last request and
``SESSION_MAX_HOURS`` since sign-in (OWASP ASVS L2: 30 minutes, 12 hours). A password
change ends every session of the admin: each row remembers the user's session generation
at sign-in, and ``AdminUser.set_password`` rotates it.

A database row rather than a Redis key: the database is the source of truth here, and a
session must not come back, or vanish, with the work queue.
"""
import secrets
from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, or_, select, update

from ...extensions import db
from ...models import AdminSession, AdminUser, utcnow
from ...models.users import hash_session_key

# last_seen_at is written at most this often: a write per request would cost more than a
# minute's precision on a 30-minute idle timeout is worth.
TOUCH_EVERY = timedelta(minutes=1)


def _limits():
    return (timedelta(minutes=current_app.config["SESSION_IDLE_MINUTES"]),
            timedelta(hours=current_app.config["SESSION_MAX_HOURS"]))


def start_session(user, client_ip):
    """A new session for ``user`` (commits); returns the key for the cookie. The user's
    sessions that already timed out are deleted on the way, so rows never pile up."""
    now = utcnow()
    idle, maximum = _limits()
    db.session.execute(delete(AdminSession).where(
        AdminSession.admin_user_id == user.id,
        or_(AdminSession.last_seen_at < now - idle, AdminSession.created_at < now - maximum,
            AdminSession.generation != user.session_token)))
    key = secrets.token_urlsafe(32)
    db.session.add(AdminSession(key_hash=hash_session_key(key), admin_user_id=user.id,
                                generation=user.session_token, client_ip=client_ip,
                                created_at=now, last_seen_at=now))
    db.session.commit()
    return key


def resume_session(key, now=None):
    """``(user, None)`` for a live session, else ``(None, why)``: why is "idle", "expired",
    "password changed", "deactivated", or None when there is no such session (logged out, never was)."""
    now = now or utcnow()
    found = db.session.execute(
        select(AdminSession, AdminUser).join(AdminUser, AdminSession.admin_user_id == AdminUser.id)
        .where(AdminSession.key_hash == hash_session_key(key))).one_or_none()
    if found is None:
        return None, None
    row, user = found
    idle, maximum = _limits()
    why = ("deactivated" if user.deactivated_at is not None
           else "password changed" if row.generation != user.session_token
           else "expired" if now - row.created_at >= maximum
           else "idle" if now - row.last_seen_at >= idle else None)
    if why:
        db.session.delete(row)
        db.session.commit()
        return None, why
    if now - row.last_seen_at >= TOUCH_EVERY:
        db.session.execute(update(AdminSession).where(AdminSession.id == row.id)
                           .values(last_seen_at=now))
        db.session.commit()
    user.session_key = key
    return user, None


def end_session(key):
    """Logout: this browser's session ends here, whatever copies of its cookie exist."""
    if key:
        db.session.execute(delete(AdminSession).where(
            AdminSession.key_hash == hash_session_key(key)))
        db.session.commit()


def end_all_sessions(user_id):
    db.session.execute(delete(AdminSession).where(AdminSession.admin_user_id == user_id))
    db.session.commit()
