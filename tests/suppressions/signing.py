"""Signing webhook requests as SendGrid does: a real P-256 key, made for the test."""
import base64
import json
import time

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from statusmail.services.deliverability.signature import SIGNATURE_HEADER, TIMESTAMP_HEADER

URL = "/webhooks/sendgrid"


class SendGridSigner:
    def __init__(self):
        self.private_key = ec.generate_private_key(ec.SECP256R1())

    @property
    def public_key_text(self):
        """Base64 DER SubjectPublicKeyInfo: what SendGrid's settings page shows."""
        der = self.private_key.public_key().public_bytes(Encoding.DER,
                                                         PublicFormat.SubjectPublicKeyInfo)
        return base64.b64encode(der).decode()

    def headers(self, body, timestamp=None):
        timestamp = str(int(time.time()) if timestamp is None else timestamp)
        signed = self.private_key.sign(timestamp.encode() + body, ec.ECDSA(hashes.SHA256()))
        return {SIGNATURE_HEADER: base64.b64encode(signed).decode(), TIMESTAMP_HEADER: timestamp}

    def post(self, client, events, timestamp=None, body=None, headers=None):
        body = json.dumps(events).encode() if body is None else body
        return client.post(URL, data=body, content_type="application/json",
                           headers=self.headers(body, timestamp) if headers is None else headers)


def install_key(app, text):
    from statusmail.services.deliverability.webhook_key import save_key
    with app.app_context():
        save_key(text, by="owner@example.com")


_counter = [0]


def event(kind, email, **fields):
    _counter[0] += 1
    return {"email": email, "timestamp": int(time.time()), "event": kind,
            "sg_event_id": f"evt-{_counter[0]}-{time.monotonic_ns()}",
            "sg_message_id": f"msg-{_counter[0]}.filter", **fields}
