"""``POST /webhooks/sendgrid``: SendGrid's signed Event Webhook.

Answers: 200 with counts for a verified batch (also when every event was seen before:
SendGrid retries batches, and a retry must not be an error); 401 unsigned; 403 a bad or
stale signature, or no key saved yet; 400 a body that is not a JSON array; 413 over
``WEBHOOK_MAX_BYTES``; 429 over the rate limit. SendGrid retries non-2xx answers for a
day, so a key fixed within that time loses nothing.
"""
import json
import logging

from flask import current_app, jsonify, request

from ..extensions import csrf, limiter
from ..services.deliverability import sendgrid_events, signature
from ..services.deliverability.webhook_key import current_public_key
from . import bp

log = logging.getLogger(__name__)
WEBHOOK_MAX_BYTES = 1024 * 1024
DEFAULT_RATE = "600/minute"


def _rate():
    return current_app.config.get("SENDGRID_WEBHOOK_RATE_LIMIT", DEFAULT_RATE)


def _refuse(status, message):
    return jsonify(error=message), status


@bp.route("/webhooks/sendgrid", methods=["POST"])
@csrf.exempt  # signed by SendGrid instead; it has no session or form of ours
@limiter.limit(_rate, scope="sendgrid-webhook", error_message="too many webhook requests")
def sendgrid_events_webhook():
    request.max_content_length = current_app.config.get("WEBHOOK_MAX_BYTES", WEBHOOK_MAX_BYTES)
    body = request.get_data(cache=True)  # 413 past the cap, before anything is parsed
    try:
        public_key = current_public_key()
    except signature.InvalidKey:
        public_key = None
    if public_key is None:
        return _refuse(403, "The SendGrid event webhook is not set up: save SendGrid's "
                            "verification key in the admin's Event webhook page.")
    try:
        signature.verify(public_key, request.headers.get(signature.SIGNATURE_HEADER),
                         request.headers.get(signature.TIMESTAMP_HEADER), body)
    except signature.Refused as refused:
        log.warning("SendGrid webhook request refused (%s): %s", refused.status,
                    refused.message)
        return _refuse(refused.status, refused.message)
    try:
        events = json.loads(body)
    except (ValueError, RecursionError):
        return _refuse(400, "The body is not JSON.")
    try:
        outcome = sendgrid_events.record_events(events)
    except sendgrid_events.MalformedBatch as exc:
        return _refuse(400, str(exc))
    return jsonify(outcome.as_json())
