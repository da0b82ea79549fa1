"""Signed links: one salt per purpose, one lifetime each.

A token made for one purpose never validates for another, so an unsubscribe link
cannot confirm an address and a confirmation link cannot reset a password.

A subscriber's link carries only the subscriber's id and a proof derived from the random
``link_key`` on their row (never the address: links end up in logs). The proof is an
HMAC of the purpose under that key, so the key itself never leaves the database and a
proof for one purpose says nothing of another. A deleted row, a new row that reuses an
address, or a replaced key has no key that matches, so an old link acts on nobody.
"""
import base64
import hmac
from dataclasses import dataclass
from functools import lru_cache

from flask import current_app
from itsdangerous import BadData, SignatureExpired, URLSafeTimedSerializer


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
    # "This wasn't me" in a confirmation mail: the victim of a sign-up they did not make
    # may read it weeks later. It stops all mail, so it may outlive the confirm link.
    "not-me": 90 * 24 * 3600,
    # An owner's invitation: [invitation id, the row's nonce]; the row also keeps its own
    # expiry, so a re-sent invitation's new link runs from the re-send.
    "invitation": 72 * 3600,
}
SUBSCRIBER_PURPOSES = ("confirm", "manage", "unsubscribe", "not-me")
PROOF_BYTES = 16
MAX_ROW_ID = 2 ** 63 - 1  # what SQLite and PostgreSQL can bind as an integer


def _signing(purpose):
    if purpose not in PURPOSES:
        raise ValueError(f"unknown token purpose {purpose!r}")
    return _signing_for(current_app.config["SECRET_KEY"], purpose)


@lru_cache(maxsize=64)
def _signing_for(secret_key, purpose):
    """``(serializer, signer)``, built once per key and purpose: a fan-out signs two
    links per mail, and building them cost about a fifth of signing. Neither holds
    state between calls."""
    serializer = URLSafeTimedSerializer(secret_key, salt=f"statusmail.{purpose}")
    return serializer, serializer.make_signer()


def _max_age(purpose):
    if purpose == "confirm":
        return current_app.config["CONFIRM_MAX_AGE_HOURS"] * 3600
    return PURPOSES[purpose]


def make_token(purpose, payload):
    """``serializer.dumps(payload)``, from its two public halves with the signer reused."""
    serializer, signer = _signing(purpose)
    return signer.sign(serializer.dump_payload(payload)).decode("utf-8")


def read_token(purpose, token):
    """Return the payload, or raise :class:`TokenExpired` / :class:`TokenInvalid`."""
    serializer = _signing(purpose)[0]
    try:
        return serializer.loads(token, max_age=_max_age(purpose))
    except SignatureExpired as exc:
        try:
            payload = serializer.load_payload(exc.payload) if exc.payload else None
        except BadData:
            payload = None
        raise TokenExpired(payload) from None
    except BadData:
        raise TokenInvalid("invalid") from None


@dataclass(frozen=True)
class SubscriberLink:
    """What a verified subscriber token says: whose link, and the proof of their key."""
    subscriber_id: int
    proof: str
    purpose: str

    def made_with(self, link_key):
        """True if the link was made with ``link_key`` (a constant-time comparison)."""
        return hmac.compare_digest(self.proof, key_proof(self.purpose, link_key))


def key_proof(purpose, link_key):
    digest = hmac.digest(link_key.encode(), f"statusmail.{purpose}".encode(), "sha256")
    return base64.urlsafe_b64encode(digest[:PROOF_BYTES]).rstrip(b"=").decode()


def make_subscriber_token(purpose, subscriber_id, link_key):
    if purpose not in SUBSCRIBER_PURPOSES:
        raise ValueError(f"{purpose!r} is not a subscriber link")
    return make_token(purpose, [subscriber_id, key_proof(purpose, link_key)])


def _subscriber_link(purpose, payload):
    """The link a signed payload names; ``None`` for a payload of another shape (an old
    token that carried no key proof, say)."""
    if not (isinstance(payload, list) and len(payload) == 2):
        return None
    subscriber_id, proof = payload
    if type(subscriber_id) is not int or not 0 < subscriber_id <= MAX_ROW_ID \
            or not isinstance(proof, str):
        return None
    return SubscriberLink(subscriber_id, proof, purpose)


def read_subscriber_token(purpose, token):
    """The :class:`SubscriberLink` of a valid token, ``None`` for a signed token of an older
    shape; raises :class:`TokenExpired` (its payload a link or ``None``) or :class:`TokenInvalid`.
    """
    if purpose not in SUBSCRIBER_PURPOSES:
        raise ValueError(f"{purpose!r} is not a subscriber link")
    try:
        payload = read_token(purpose, token)
    except TokenExpired as exc:
        raise TokenExpired(_subscriber_link(purpose, exc.payload)) from None
    return _subscriber_link(purpose, payload)
