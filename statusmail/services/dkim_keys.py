"""DKIM keys: generate (RSA 2048 or Ed25519) or import a PEM, enable, disable, delete.

The private key is kept only encrypted (:mod:`statusmail.crypto`) and never leaves this
module except to the signer; the page shows the public half as the DNS record to publish
(:mod:`.dkim_dns`). At most one key per algorithm signs at a time, so rotating is: add a
key under a new selector, publish its record, enable it (the old one of its algorithm is
disabled), delete the old one once mail signed with it has been delivered.
"""
import base64
import re

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from .. import crypto
from ..extensions import db
from ..mail.compose import sender_domain
from ..models import DkimKey, utcnow
from . import audit

DEFAULT_SELECTOR_STEM = "statusmail"
RSA_BITS = 2048
RSA_BITS_ACCEPTED = (1024, 4096)
MAX_KEYS = 10
PEM_MAX_CHARS = 10_000
ALGORITHM_NAMES = {"rsa": "RSA", "ed25519": "Ed25519"}
_LABEL = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
_SELECTOR_LABEL = re.compile(r"^[a-z0-9]([a-z0-9_-]{0,61}[a-z0-9])?$")


class DkimKeyRejected(ValueError):
    """A key, domain or selector that cannot be used, with a message for the operator."""


def list_keys():
    """Every key, newest first (at most ``MAX_KEYS``: one query)."""
    return db.session.scalars(select(DkimKey).order_by(DkimKey.id.desc())
                              .limit(MAX_KEYS)).all()


def find_key(key_id):
    return db.session.get(DkimKey, key_id)


def from_domain(settings):
    address = settings.from_address or ""
    return sender_domain(address) if "@" in address else None


def suggested_selector(keys):
    """``statusmail1``, or the first ``statusmailN`` no key uses: a new key, a new selector."""
    used = {key.selector for key in keys}
    number = 1
    while f"{DEFAULT_SELECTOR_STEM}{number}" in used:
        number += 1
    return f"{DEFAULT_SELECTOR_STEM}{number}"


def domain_problem(value):
    """Why ``value`` is no domain DKIM can sign for (``None`` when it is one)."""
    if not value:
        return "Enter the domain the signature names (usually your From address's domain)."
    if not value.isascii():
        return "Enter the domain in its ASCII (punycode, xn--…) form."
    labels = value.split(".")
    if len(value) > 253 or len(labels) < 2 or not all(_LABEL.match(label) for label in labels):
        return "Enter a domain name such as example.com (letters, digits, hyphens and dots)."
    return None


def selector_problem(value):
    if not value:
        return "Enter a selector, such as statusmail1."
    labels = value.split(".")
    if (not value.isascii() or len(value) > 63
            or not all(_SELECTOR_LABEL.match(label) for label in labels)):
        return ("A selector is letters, digits and hyphens (dots between parts), at most "
                "63 characters, such as statusmail1.")
    return None


def normalize_name(value):
    return (value or "").strip().rstrip(".").lower()


def generate_key(domain, selector, algorithm):
    """A new, disabled key; raises :class:`DkimKeyRejected`."""
    if algorithm == "rsa":
        private = rsa.generate_private_key(public_exponent=65537, key_size=RSA_BITS)
    elif algorithm == "ed25519":
        private = ed25519.Ed25519PrivateKey.generate()
    else:
        raise DkimKeyRejected("Choose RSA or Ed25519.")
    key = _store(domain, selector, private, "generated")
    _record("dkim_key_generated", key, f"DKIM key {key.selector} generated "
            f"({ALGORITHM_NAMES[key.algorithm]}, d={key.domain})")
    return key


def import_key(domain, selector, pem_text):
    """A pasted private key (PEM, unencrypted), disabled; raises :class:`DkimKeyRejected`."""
    text = (pem_text or "").strip()
    if not text:
        raise DkimKeyRejected("Paste a private key in PEM form (-----BEGIN PRIVATE KEY-----…).")
    if len(text) > PEM_MAX_CHARS or not text.isascii() or "-----BEGIN" not in text:
        raise DkimKeyRejected("This is not a PEM private key: it must start with "
                              "-----BEGIN PRIVATE KEY----- (or RSA PRIVATE KEY).")
    try:
        private = serialization.load_pem_private_key(text.encode(), password=None)
    except TypeError:
        raise DkimKeyRejected("This key is protected by a passphrase: export it without one "
                              "(openssl pkey -in key.pem -out plain.pem).") from None
    except (ValueError, UnsupportedAlgorithm):
        raise DkimKeyRejected("This PEM block is not a private key we can read: paste the "
                              "whole key, from -----BEGIN to -----END.") from None
    if isinstance(private, rsa.RSAPrivateKey):
        low, high = RSA_BITS_ACCEPTED
        if not low <= private.key_size <= high:
            raise DkimKeyRejected(f"This RSA key has {private.key_size} bits; DKIM needs "
                                  f"{low} to {high} (2048 is the usual size).")
    elif not isinstance(private, ed25519.Ed25519PrivateKey):
        raise DkimKeyRejected("DKIM signs with RSA or Ed25519 keys only; this is another "
                              "kind of key.")
    key = _store(domain, selector, private, "pasted")
    _record("dkim_key_pasted", key, f"DKIM key {key.selector} pasted "
            f"({ALGORITHM_NAMES[key.algorithm]}, d={key.domain})")
    return key


def _store(domain, selector, private, origin):
    domain, selector = normalize_name(domain), normalize_name(selector)
    problem = domain_problem(domain) or selector_problem(selector)
    if problem:
        raise DkimKeyRejected(problem)
    if db.session.scalar(select(db.func.count()).select_from(DkimKey)) >= MAX_KEYS:
        raise DkimKeyRejected(f"There are already {MAX_KEYS} keys: delete one you no longer "
                              "publish first.")
    if db.session.scalar(select(DkimKey.id).where(DkimKey.domain == domain,
                                                  DkimKey.selector == selector)):
        raise DkimKeyRejected(f"A key under selector {selector} for {domain} exists: choose "
                              "a new selector (a new key needs a new DNS record).")
    if isinstance(private, rsa.RSAPrivateKey):
        algorithm, bits = "rsa", private.key_size
        public = private.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    else:
        algorithm, bits = "ed25519", 256
        public = private.public_key().public_bytes(serialization.Encoding.Raw,
                                                   serialization.PublicFormat.Raw)
    pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    key = DkimKey(domain=domain, selector=selector, algorithm=algorithm, key_bits=bits,
                  private_key_encrypted=crypto.encrypt(pem),
                  public_key=base64.b64encode(public).decode(), origin=origin)
    db.session.add(key)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise DkimKeyRejected(f"A key under selector {selector} for {domain} exists: choose "
                              "a new selector.") from None
    return key


def enable_key(key):
    """Sign with ``key`` from now on; the enabled key of its algorithm, if another, is
    disabled (returned)."""
    replaced = db.session.scalars(select(DkimKey).where(
        DkimKey.enabled.is_(True), DkimKey.algorithm == key.algorithm,
        DkimKey.id != key.id)).all()
    for other in replaced:
        other.enabled, other.enabled_at = False, None
    if not key.enabled:
        key.enabled, key.enabled_at = True, utcnow()
    db.session.commit()
    _record("dkim_key_enabled", key, f"Mail signed with DKIM key {key.selector}")
    for other in replaced:
        _record("dkim_key_disabled", other, f"DKIM key {other.selector} replaced by "
                f"{key.selector}", replaced_by=key.selector)
    return replaced


def disable_key(key):
    key.enabled, key.enabled_at = False, None
    db.session.commit()
    _record("dkim_key_disabled", key, f"DKIM key {key.selector} no longer signs")


def delete_key(key):
    if key.enabled:
        raise DkimKeyRejected("Disable the key before deleting it.")
    facts = _facts(key)
    db.session.delete(key)
    db.session.commit()
    audit.record("dkim_key_deleted", f"DKIM key {facts['selector']} deleted", **facts)


def _facts(key):
    """What the audit log says about a key: never the key itself."""
    return {"key_id": key.id, "selector": key.selector, "domain": key.domain,
            "algorithm": key.algorithm}


def _record(kind, key, summary, **detail):
    audit.record(kind, summary, **_facts(key), **detail)
