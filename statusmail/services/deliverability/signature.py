"""SendGrid's Signed Event Webhook: ECDSA P-256 / SHA-256 over ``timestamp + body``.

The signature (``X-Twilio-Email-Event-Webhook-Signature``) is base64 DER; the timestamp
(``X-Twilio-Email-Event-Webhook-Timestamp``) is Unix seconds, and a request older than
``MAX_AGE`` (or dated ahead of our clock by more than ``CLOCK_SKEW``) is refused, so a
captured request cannot be replayed later. The verification is the ``cryptography``
package's; nothing here does arithmetic on keys.
"""
import base64
import binascii
import time

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import load_der_public_key, load_pem_public_key

SIGNATURE_HEADER = "X-Twilio-Email-Event-Webhook-Signature"
TIMESTAMP_HEADER = "X-Twilio-Email-Event-Webhook-Timestamp"
MAX_AGE = 5 * 60
# Our clock and SendGrid's may disagree by a little; a timestamp further ahead is refused.
CLOCK_SKEW = 30
KEY_TEXT_MAX = 4096


class InvalidKey(ValueError):
    """Not an ECDSA P-256 public key in the form SendGrid shows it."""


class Refused(Exception):
    """A request that is not SendGrid's, or not fresh: ``status`` and a plain ``message``."""

    def __init__(self, status, message):
        super().__init__(message)
        self.status, self.message = status, message


def load_public_key(text):
    """The key from its text: base64 DER SubjectPublicKeyInfo (as SendGrid shows it) or PEM."""
    text = (text or "").strip()
    if not text or len(text) > KEY_TEXT_MAX:
        raise InvalidKey("Paste the verification key SendGrid shows (base64 text).")
    try:
        if "-----BEGIN" in text:
            key = load_pem_public_key(text.encode("ascii"))
        else:
            key = load_der_public_key(base64.b64decode("".join(text.split()), validate=True))
    except (ValueError, TypeError, UnicodeEncodeError, binascii.Error, UnsupportedAlgorithm):
        raise InvalidKey("This is not a public key: copy the whole verification key from "
                         "SendGrid's Event Webhook settings.") from None
    if not isinstance(key, ec.EllipticCurvePublicKey) or not isinstance(key.curve, ec.SECP256R1):
        raise InvalidKey("This is a public key, but not an ECDSA P-256 one: SendGrid's "
                         "verification key is P-256.")
    return key


def verify(public_key, signature, timestamp, body, now=None):
    """Return nothing if ``body`` is signed by ``public_key`` and fresh; raise :class:`Refused`."""
    if not signature or not timestamp:
        raise Refused(401, "Unsigned request: the Event Webhook must have signature "
                           "verification turned on.")
    if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12):
        raise Refused(403, "The signature timestamp is not a Unix time.")
    try:
        raw_signature = base64.b64decode(signature, validate=True)
    except (binascii.Error, ValueError):
        raise Refused(403, "The signature is not base64.") from None
    try:
        public_key.verify(raw_signature, timestamp.encode("ascii") + body,
                          ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        raise Refused(403, "The signature does not match this body and timestamp.") from None
    age = (time.time() if now is None else now) - int(timestamp)
    if age > MAX_AGE:
        raise Refused(403, "The request is older than five minutes (a replay, or a clock "
                           "far off).")
    if age < -CLOCK_SKEW:
        raise Refused(403, "The request is dated in the future.")
