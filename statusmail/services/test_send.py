"""Test send: one real mail through the same queue, worker and transport as all others,
reported in terms a person can act on."""
from datetime import timedelta

import redis
from sqlalchemy import select

from ..extensions import db
from ..mail.errors import DIAGNOSES, HINTS, split_description
from ..mail.transports import captured_id
from ..models import CapturedMail, OutboundMail, utcnow
from ..queues import any_worker_alive
from . import audit
from .outbox import queue_outbound

FINAL_STATES = ("sent", "failed", "cancelled")
# A worker normally claims a mail within a second; after this, say why nothing happens.
WORKER_GRACE = timedelta(seconds=5)
STATE_LABELS = {
    "queued": "Waiting for a worker",
    "sending": "Sending",
    "sent": "Accepted by the server",
    "failed": "Failed",
    "cancelled": "Cancelled",
}
# A test send is tried once, never again: where the general wording promises a retry,
# say what happens instead.
TEST_SEND_TITLES = {"temporary": "Refused for now: a temporary failure"}
TEST_SEND_HINTS = {
    "temporary": "The server refused this mail for now (greylisting, a rate limit or a busy "
                 "server). A test send is tried once and not retried; real notices that get "
                 "this answer are retried automatically. Send another test in a few minutes, "
                 "and if the answer stays the same, check the server's log or status page.",
}


TRIAL_SUBJECT = "Test mail from statusmail (settings not saved yet)"


def describe_failure(diagnosis, detail, code=None, reply=None):
    """Title, detail, server reply and what to do, worded for a mail tried once."""
    return {"diagnosis": diagnosis, "code": code, "reply": reply, "detail": detail,
            "title": TEST_SEND_TITLES.get(diagnosis) or DIAGNOSES.get(diagnosis, "Not sent"),
            "hint": TEST_SEND_HINTS.get(diagnosis) or HINTS.get(diagnosis)}


def queue_test_send(recipient, subject, body):
    row = queue_outbound("test", recipient, subject=subject, body=body)
    audit.record("test_mail_sent", f"Test mail sent to {recipient}", outbound_id=row.id,
                 recipient=recipient)
    return row


def find_test_send(outbound_id):
    row = db.session.get(OutboundMail, outbound_id)
    return row if row is not None and row.kind == "test" else None


def recent_test_sends(limit=10):
    return (OutboundMail.query.filter_by(kind="test")
            .order_by(OutboundMail.id.desc()).limit(limit).all())


def report_test_send(row, now=None):
    """Everything the result page and its JSON show; safe to expose (no secrets in a row)."""
    now = now or utcnow()
    report = {
        "id": row.id, "state": row.state, "state_label": STATE_LABELS.get(row.state, row.state),
        "done": row.state in FINAL_STATES, "ok": row.state == "sent",
        "recipient": row.recipient, "subject": row.subject,
        "code": row.result_code, "reply": None,
        "diagnosis": row.diagnosis, "title": None, "detail": None, "hint": None,
        "stalled": None, "captured": False, "captured_id": None,
    }
    if row.state == "sent":
        report["reply"] = row.result_message
        copy = captured_id(row.result_message)
        if copy is not None:
            report.update(captured=True, captured_id=_still_kept(copy))
    elif row.state in ("failed", "cancelled"):
        detail, reply = split_description(row.result_message, row.diagnosis, row.result_code)
        report.update(describe_failure(row.diagnosis, detail, row.result_code, reply))
    else:
        report["stalled"] = _stalled(row, now)
    return report


def _still_kept(captured_mail_id):
    """The captured copy's id, unless retention or the operator has deleted it since."""
    return db.session.scalar(select(CapturedMail.id).where(CapturedMail.id == captured_mail_id))


def _stalled(row, now):
    """Why a mail is still waiting, when it has waited longer than it should."""
    if row.state == "sending":
        if row.lease_expires_at and row.lease_expires_at < now:
            return _problem("lost_worker", "The worker that took this mail stopped before "
                            "finishing (see its log). The scheduler hands the mail to another "
                            "worker.")
        return None
    if now - row.created_at < WORKER_GRACE:
        return None
    try:
        alive = any_worker_alive()
    except redis.RedisError:
        return _problem("redis_down", "Redis does not answer, so no worker can take this mail. "
                        "Start Redis (or fix REDIS_URL); the mail is kept and goes out once it "
                        "is back.")
    if not alive:
        return _problem("no_worker", "No worker is running, so the mail waits in the queue. "
                        "Start one with: flask --app wsgi worker (bin/run starts web, worker "
                        "and scheduler together).")
    return None


def _problem(reason, message):
    return {"reason": reason, "message": message}
