"""Signed links: one salt per purpose, one lifetime each.

A token made for one purpose never validates for another, so an unsubscribe link
cannot confirm an address and a confirmation link cannot reset a password.
"""
from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer


class TokenInvalid(Exception):
    """Tampered, truncated, or made for another purpose."""


class TokenExpired(TokenInvalid):
    def __init__(self, payload):
        super().__init__("expired")
        self.payload = payload


PURPOSES = {
    # purpose: max age in seconds (None: read from config at use time)
    "confirm": None,
    "manage": 365 * 24 * 3600,
    "unsubscribe": None,  # valid as long as the mail that carries it
    "password-reset": 3600,
}


def _serializer(purpose):
    if purpose not in PURPOSES:
        raise ValueError(f"unknown token purpose {purpose!r}")
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"statusmail.{purpose}")


def _max_age(purpose):
    if purpose == "confirm":
        return current_app.config["CONFIRM_MAX_AGE_HOURS"] * 3600
    return PURPOSES[purpose]


def make_token(purpose, payload):
    return _serializer(purpose).dumps(payload)


def read_token(purpose, token):
    """Return the payload, or raise :class:`TokenExpired` / :class:`TokenInvalid`."""
    serializer = _serializer(purpose)
    try:
        return serializer.loads(token, max_age=_max_age(purpose))
    except SignatureExpired as exc:
        try:
            payload = serializer.load_payload(exc.payload) if exc.payload else None
        except BadSignature:
            payload = None
        raise TokenExpired(payload) from None
    except BadSignature:
        raise TokenInvalid("invalid") from None
