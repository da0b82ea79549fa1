"""Sending one-off mail (confirmation, password reset, test send).

Whatever goes wrong rendering or sending a mail ends as a recorded outcome, with the
error, never as a job that fails and is queued again: a temporary failure retries after
a backoff, anything else fails the mail. Attempts are counted when a job claims the
mail, before sending, and a mail whose worker died ``MAX_ATTEMPTS`` times is failed
instead of claimed again, so not even a crash that kills the worker can loop for ever.
"""
import logging

from rq.timeouts import BaseTimeoutException
from sqlalchemy import and_, or_, update
from sqlalchemy.exc import SQLAlchemyError

from ..extensions import db
from ..mail import errors
from ..mail.transports import open_transport
from ..models import OutboundMail, utcnow
from ..services.delivery_settings import delivery_settings
from ..services.outbox import MAX_ATTEMPTS, backoff, lease_until
from ..services.provider_health import clear_provider_failure, record_provider_failure
from ..services.suppressions import is_suppressed
from ..services.transactional import render_outbound
from . import job

log = logging.getLogger(__name__)
# Not this mail's fault: they end the job, and the sweeper hands the mail on after its lease.
NOT_THE_MESSAGE = (SQLAlchemyError, BaseTimeoutException)
GAVE_UP = "The worker sending this mail stopped before finishing too many times (see its log)."
# Mail to the operators themselves, not to subscribers: the suppression list does not
# apply (an operator must be able to reset a password or test the settings). Every other
# kind, including kinds added later, is held back for a suppressed address.
OPERATOR_KINDS = frozenset({"password_reset", "test", "invitation"})
SUPPRESSED = "Not sent: the address is on the suppression list."


def _claim(outbound_id):
    """Take the row if it is due and nobody alive holds it; False means nothing to do."""
    now = utcnow()
    db.session.execute(
        update(OutboundMail)
        .where(OutboundMail.id == outbound_id, OutboundMail.state == "sending",
               OutboundMail.lease_expires_at < now, OutboundMail.attempts >= MAX_ATTEMPTS)
        .values(state="failed", lease_expires_at=None, finished_at=now, diagnosis="unexpected",
                result_code=None, result_message=GAVE_UP))
    result = db.session.execute(
        update(OutboundMail)
        .where(OutboundMail.id == outbound_id)
        .where(or_(
            and_(OutboundMail.state == "queued",
                 or_(OutboundMail.next_attempt_at.is_(None), OutboundMail.next_attempt_at <= now)),
            and_(OutboundMail.state == "sending", OutboundMail.lease_expires_at < now),
        ))
        .values(state="sending", lease_expires_at=lease_until(now),
                attempts=OutboundMail.attempts + 1, started_at=now)
    )
    db.session.commit()
    return result.rowcount == 1


@job
def send_outbound(outbound_id):
    if not _claim(outbound_id):
        return "not due or already handled"
    row = db.session.get(OutboundMail, outbound_id)
    settings = delivery_settings()
    if row.kind not in OPERATOR_KINDS and is_suppressed(row.recipient):
        row.state, row.diagnosis, row.result_message = "cancelled", None, SUPPRESSED
        row.finished_at, row.lease_expires_at = utcnow(), None
        db.session.commit()
        return row.state
    try:
        message = render_outbound(row)
        if message is not None:
            with open_transport(settings) as transport:
                code, reply = transport.send(message)
    except errors.MailError as exc:
        _record_failure(row, exc)
    except NOT_THE_MESSAGE:
        raise
    except Exception as exc:  # noqa: BLE001 - a bug or a bad stored value: this mail's alone
        log.exception("Outbound #%s failed unexpectedly", outbound_id)
        db.session.rollback()
        _record_failure(row, errors.unexpected(exc))
    else:
        if message is None:
            row.state, row.diagnosis = "cancelled", None
            row.result_message = "No longer needed (already confirmed, removed or gone)."
        else:
            row.state, row.result_code, row.result_message = "sent", code, reply
            row.message_id = message.msgId
            row.diagnosis = None
            if settings.provider_failure:
                clear_provider_failure()
    row.finished_at = utcnow()
    row.lease_expires_at = None
    db.session.commit()
    return row.state


def _record_failure(row, exc):
    row.diagnosis, row.result_code = exc.diagnosis, exc.code
    row.result_message = exc.describe()
    if exc.provider_wide:
        record_provider_failure(exc)
    # A test send reports at once; real mail waits out outages instead of being dropped.
    if row.kind != "test" and (exc.retryable or exc.provider_wide) and row.attempts < MAX_ATTEMPTS:
        row.state = "queued"
        row.next_attempt_at = utcnow() + backoff(row.attempts)
        log.warning("Outbound #%s will retry: %s", row.id, row.result_message)
    else:
        row.state = "failed"
        log.error("Outbound #%s failed: %s", row.id, row.result_message)
