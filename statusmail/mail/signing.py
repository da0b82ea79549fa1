"""DKIM signatures (dkimpy) on the wire bytes of every SMTP and captured mail.

The transport signs each message once, just before it goes out (see
:meth:`.base.Transport.wire`): every per-recipient part (To, Message-ID, the personal
links in List-Unsubscribe and the body) is in place by then, and nothing changes the
bytes after. Keys come from the ``dkim_keys`` table, decrypted once per connection.

RSA signing runs dkimpy's pure-Python RSA (about 9 ms a message here); Ed25519 runs
libsodium through PyNaCl (well under 1 ms). bench/dkim_cost.py measures both.
"""
import base64
import re
from dataclasses import dataclass

import dkim
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from . import errors

# What the signature covers when the message has it. RFC 8058 requires List-Unsubscribe
# and List-Unsubscribe-Post to be signed; Reply-To is covered so nobody can redirect
# replies to a signed mail.
SIGNED_HEADERS = (b"from", b"to", b"subject", b"date", b"message-id", b"reply-to",
                  b"list-id", b"list-unsubscribe", b"list-unsubscribe-post",
                  b"mime-version", b"content-type")
CANONICALIZATION = (b"relaxed", b"relaxed")
_HEADER_NAME = re.compile(rb"^([!-9;-~]+)[ \t]*:", re.M)
_SIGNATURE_ALGORITHMS = {"rsa": b"rsa-sha256", "ed25519": b"ed25519-sha256"}


@dataclass(frozen=True)
class SigningKey:
    """One enabled key in the form dkimpy signs with."""
    domain: bytes
    selector: bytes
    algorithm: str
    material: bytes  # PKCS#1 PEM (RSA) or the base64 32-byte seed (Ed25519)

    @classmethod
    def from_pem(cls, domain, selector, pem):
        """From the stored PKCS#8 PEM; raises :class:`~.errors.DkimKeyError`."""
        try:
            key = serialization.load_pem_private_key(pem.encode(), password=None)
        except (ValueError, TypeError) as exc:
            raise errors.DkimKeyError(f"the DKIM key for selector {selector!r} cannot be "
                                      f"read ({exc})") from None
        if isinstance(key, rsa.RSAPrivateKey):
            material = key.private_bytes(serialization.Encoding.PEM,
                                         serialization.PrivateFormat.TraditionalOpenSSL,
                                         serialization.NoEncryption())
            return cls(domain.encode(), selector.encode(), "rsa", material)
        if isinstance(key, ed25519.Ed25519PrivateKey):
            seed = key.private_bytes(serialization.Encoding.Raw,
                                     serialization.PrivateFormat.Raw,
                                     serialization.NoEncryption())
            return cls(domain.encode(), selector.encode(), "ed25519", base64.b64encode(seed))
        raise errors.DkimKeyError(f"the DKIM key for selector {selector!r} is neither RSA "
                                  "nor Ed25519")


class Signer:
    """Signs wire bytes with every key it holds (RSA first, then Ed25519)."""

    def __init__(self, keys):
        self.keys = tuple(sorted(keys, key=lambda k: k.algorithm != "rsa"))

    def sign(self, raw):
        """``raw`` with one DKIM-Signature header per key in front of it."""
        head = raw.split(b"\r\n\r\n", 1)[0]
        present = {name.lower() for name in _HEADER_NAME.findall(head)}
        include = [name for name in SIGNED_HEADERS if name in present]
        signatures = []
        for key in self.keys:
            try:
                signatures.append(dkim.sign(
                    raw, key.selector, key.domain, key.material,
                    canonicalize=CANONICALIZATION,
                    signature_algorithm=_SIGNATURE_ALGORITHMS[key.algorithm],
                    include_headers=include))
            except dkim.KeyFormatError as exc:
                raise errors.DkimKeyError(
                    f"the DKIM key for selector {key.selector.decode()!r} cannot sign ({exc})"
                ) from None
            except dkim.DKIMException as exc:
                raise errors.UnsendableError(f"the message cannot be DKIM-signed ({exc})") from None
        return b"".join(signatures) + raw


def enabled_signer():
    """A :class:`Signer` for the enabled keys, or ``None`` while none is (one query).

    A key that cannot be decrypted or read stops sending with a named, provider-wide
    error rather than sending unsigned: a domain that publishes ``p=reject`` would lose
    the mail anyway, and the operator learns why at once.
    """
    from .. import crypto
    from ..extensions import db
    from ..models import DkimKey

    rows = db.session.execute(
        db.select(DkimKey.domain, DkimKey.selector, DkimKey.private_key_encrypted)
        .where(DkimKey.enabled.is_(True)).order_by(DkimKey.id)).all()
    if not rows:
        return None
    keys = []
    for domain, selector, ciphertext in rows:
        try:
            pem = crypto.decrypt(ciphertext)
        except crypto.SecretUnreadable:
            raise errors.DkimKeyError(
                f"the DKIM key for selector {selector!r} cannot be decrypted with "
                "STATUSMAIL_ENCRYPTION_KEY") from None
        keys.append(SigningKey.from_pem(domain, selector, pem))
    return Signer(keys)
