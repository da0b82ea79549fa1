"""Secrets at rest (SMTP password, SendGrid key), encrypted with Fernet.

``STATUSMAIL_ENCRYPTION_KEY`` holds one key or several, comma-separated: the first
encrypts, all decrypt, so keys can be rotated without losing stored secrets.
"""
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import current_app


class SecretUnreadable(RuntimeError):
    """A stored secret was encrypted with a key that is no longer configured."""


def _keys():
    raw = current_app.config["STATUSMAIL_ENCRYPTION_KEY"]
    return [Fernet(key.strip()) for key in raw.split(",") if key.strip()]


def _fernet():
    try:
        return MultiFernet(_keys())
    except ValueError as exc:
        raise RuntimeError(
            "STATUSMAIL_ENCRYPTION_KEY must be Fernet keys (32 url-safe base64 bytes), comma-separated."
        ) from exc


def encrypt(plaintext):
    return _fernet().encrypt(plaintext.encode()).decode()


def decrypt(ciphertext):
    try:
        return _fernet().decrypt(ciphertext.encode()).decode()
    except InvalidToken:
        raise SecretUnreadable(
            "A stored secret cannot be decrypted with STATUSMAIL_ENCRYPTION_KEY; "
            "enter it again in Email settings, or add the old key to the list."
        ) from None


def rotate(ciphertext):
    """Re-encrypt under the first (newest) key."""
    try:
        return _fernet().rotate(ciphertext.encode()).decode()
    except InvalidToken:
        raise SecretUnreadable("A stored secret cannot be decrypted with any key of "
                               "STATUSMAIL_ENCRYPTION_KEY.") from None


def uses_first_key(ciphertext):
    """True when the first key alone reads it: rotating it again would change nothing."""
    try:
        _keys()[0].decrypt(ciphertext.encode())
    except InvalidToken:
        return False
    return True
