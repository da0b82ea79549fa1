"""API tokens: shown once when made, stored only as a hash, revocable."""
import secrets
from datetime import timedelta

from ..extensions import db
from ..models import ApiToken, utcnow
from ..models.api_tokens import hash_token
from . import audit
from .text_validation import text_problem

TOKEN_PREFIX = "smk_"
NAME_MAX = 120
# last_used_at is for people ("is this token still in use?"): a minute is precise enough,
# and it spares a write on every request.
LAST_USED_PRECISION = timedelta(minutes=1)


class ApiAuthError(Exception):
    """Why a request's token was refused, in words for the caller."""


def create_api_token(name):
    """Returns ``(token_row, plaintext)``; the plaintext is never stored or shown again."""
    name = (name or "").strip()
    if not name:
        raise ValueError("Give the token a name, e.g. the system that will use it.")
    if text_problem(name):
        raise ValueError(text_problem(name))
    if len(name) > NAME_MAX:
        raise ValueError(f"Keep the name under {NAME_MAX} characters.")
    plaintext = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(name=name, token_hash=hash_token(plaintext), prefix=plaintext[:12])
    db.session.add(row)
    db.session.commit()
    audit.record("api_token_created", f"API token created: {name}", token_id=row.id, name=name)
    return row, plaintext


def revoke_api_token(token):
    """Idempotent: revoking twice keeps the first time."""
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        db.session.commit()
        audit.record("api_token_revoked", f"API token revoked: {token.name}",
                     token_id=token.id, name=token.name)


def authenticate(plaintext):
    """The live token matching ``plaintext``, or ``ApiAuthError`` saying what is wrong."""
    if not plaintext:
        raise ApiAuthError("Send an API token: 'Authorization: Bearer <token>' "
                           "(admin → API tokens).")
    token = ApiToken.query.filter_by(token_hash=hash_token(plaintext)).one_or_none()
    if token is None:
        raise ApiAuthError("This API token is not valid. Check that it was copied whole.")
    if token.revoked_at is not None:
        raise ApiAuthError("This API token has been revoked. Create a new one in the admin.")
    now = utcnow()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_PRECISION:
        token.last_used_at = now
        db.session.commit()
    return token
