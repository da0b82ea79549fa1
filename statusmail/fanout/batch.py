"""Sending one batch of a notification: one connection, outcomes recorded as they come.

The batch holds its deliveries by lease (see :mod:`.ledger`). Between messages it
looks, every ``FANOUT_CHECK_SECONDS`` (0.25), whether the notification is still sending
(a pause lets the message in flight finish and hands the rest back), and renews its
lease. Server answers decide each delivery's fate: accepted → ``sent`` at once; 4xx →
retried later; 5xx for the recipient → ``failed`` and a bounce; the server unreachable →
the whole batch retried later; a provider-wide failure (authentication, TLS, sender
refused) → the notification paused until the operator fixes the settings.

Any other exception while building or sending one message fails that delivery, with the
error, and the batch carries on: one poisoned address must not hold up everyone after
it. What still escapes (the database, the job's time limit) ends the job; the attempt
of the delivery in flight stays counted (see :meth:`BatchRun.release_unfinished`), so a
delivery that crashes every job ends ``failed`` after ``MAX_ATTEMPTS``.
"""
import logging
import time

from flask import current_app
from rq.timeouts import BaseTimeoutException
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from ..extensions import db
from ..mail import errors
from ..mail.transports import open_transport
from ..models import Notification, utcnow
from ..services.provider_health import record_provider_failure
from ..services.suppressions import suppressed_among
from . import ledger, liveness
from .control import pause_notification
from .notices import rendered_notice
from .personalized import PersonalizedSender, recipients_per_request
from .queue import lease_seconds
from .rate import SendRate, next_utc_day
from .recorder import SentRecorder

log = logging.getLogger(__name__)
# Not one message's fault: they end the job (the database, or the job's time limit).
NOT_THE_MESSAGE = (SQLAlchemyError, BaseTimeoutException)


class BatchRun:
    """One pass over the claimed deliveries; ``unfinished`` is what we still hold."""

    NOT_THE_MESSAGE = NOT_THE_MESSAGE

    def __init__(self, notification, settings, lease):
        self.notification = notification
        self.notification_id = notification.id
        self.settings = settings
        self.lease = lease
        self.unfinished = {}
        # Whom an exception escaping now would be about: everyone while the notice is
        # rendered and the connection opened, then the one recipient being sent to.
        self.suspects = []
        self.sent = 0
        self.outcome = "sent all"
        self.check_every = current_app.config.get("FANOUT_CHECK_SECONDS", 0.25)
        self.renew_every = lease_seconds() / 3
        self.last_check = self.last_renewal = time.monotonic()
        self.rate = SendRate(settings)

    def send(self, recipients):
        self.unfinished = {r.delivery_id: r for r in recipients}
        gone = [r.delivery_id for r in recipients if r.status != "confirmed"]
        self._drop(gone)
        ledger.finish_held(gone, "skipped", "The subscriber no longer receives notices.")
        # Suppressing moves a subscriber out of "confirmed" at once; this catches an
        # address suppressed while its subscriber was confirmed some other way.
        blocked = suppressed_among(r.email for r in self.unfinished.values())
        held_back = [r.delivery_id for r in self.unfinished.values() if r.email in blocked]
        self._drop(held_back)
        ledger.finish_held(held_back, "skipped", "The address is on the suppression list.")
        if not self.unfinished:
            return
        try:
            self._send_held()
        except BaseException as exc:
            self.release_unfinished(exc)
            raise

    def _send_held(self):
        self.suspects = list(self.unfinished.values())
        try:
            notice = rendered_notice(self.notification, self.settings)
            with open_transport(self.settings) as transport, \
                    SentRecorder(own_connection=transport.name != "capture") as recorder:
                whole_message = transport.name == "sendgrid"
                self.suspects = []
                if whole_message and recipients_per_request() > 1:
                    PersonalizedSender(self, transport, recorder, notice).send()
                    return
                for recipient in list(self.unfinished.values()):
                    if recipient.delivery_id not in self.unfinished:
                        continue  # our lease on it lapsed and another worker has it
                    if not (self._may_continue() and self._within_rate()):
                        return
                    if not self._send_one(transport, recorder, notice, recipient,
                                          whole_message):
                        return
        except errors.MailError as exc:
            # Rendering the notice or opening the connection failed: no message went out.
            self._stop_for(exc)

    def _send_one(self, transport, recorder, notice, recipient, whole_message):
        self.suspects = [recipient]
        try:
            values = notice.values_for(notification_id=self.notification_id,
                                       delivery_id=recipient.delivery_id,
                                       subscriber_id=recipient.subscriber_id,
                                       email=recipient.email, link_key=recipient.link_key)
            message, raw = notice.personalize(values, whole_message=whole_message)
            if whole_message:  # SendGrid hands them back with each event about the message
                message.custom_args = {"delivery_id": recipient.delivery_id,
                                       "notification_id": self.notification_id}
            try:
                code, reply = transport.send(message, raw)
            except errors.DisconnectedError:
                # An idle or recycled connection: the message was not accepted; try once more.
                code, reply = transport.send(message, raw)
        except errors.MailError as exc:
            self.suspects = []
            return self._handle_refusal(exc, recipient)
        except NOT_THE_MESSAGE:
            raise
        except Exception as exc:  # noqa: BLE001 - whatever it is, it is this message's alone
            self.suspects = []
            return self._fail_unexpected(exc, recipient, transport)
        recorder.record(recipient.delivery_id, code, reply, message.msgId,
                        first_for_notification=None if self.sent else self.notification_id)
        self.suspects = []
        self.sent += 1
        self._drop([recipient.delivery_id])
        return True

    def _fail_unexpected(self, exc, recipient, transport):
        """Fail this one delivery with the error; start the next on a fresh connection."""
        log.exception("Notification #%s: delivery #%s failed unexpectedly",
                      self.notification_id, recipient.delivery_id)
        db.session.rollback()  # what the capture transport had added for it
        transport.close()  # the connection may be mid-transaction; the next send reopens
        self._drop([recipient.delivery_id])
        ledger.fail(recipient, errors.unexpected(exc))
        return True

    def _handle_refusal(self, exc, recipient):
        """Carry on after a per-recipient answer; stop the batch when the server is gone."""
        if exc.provider_wide or (exc.retryable and not isinstance(exc, errors.TemporaryError)):
            self._stop_for(exc)
            return False
        self._drop([recipient.delivery_id])
        if exc.retryable:
            ledger.retry_later([recipient], exc)
        else:
            ledger.fail(recipient, exc,
                            bounced=isinstance(exc, errors.RecipientRejectedError))
        return True

    def _stop_for(self, exc):
        held = list(self.unfinished.values())
        self.unfinished = {}
        if exc.provider_wide:
            log.error("Notification #%s paused: %s", self.notification_id, exc.describe())
            record_provider_failure(exc)
            pause_notification(self.notification_id, by="provider")
            ledger.release([r.delivery_id for r in held])
            self.outcome = "paused: " + exc.describe()
        else:
            log.warning("Notification #%s: %d deliveries will retry: %s",
                        self.notification_id, len(held), exc.describe())
            ledger.retry_later(held, exc)
            self.outcome = "retrying later: " + exc.describe()

    def _may_continue(self):
        """Every so often: still sending? Keep the lease alive."""
        now = time.monotonic()
        if now - self.last_check < self.check_every:
            return True
        self.last_check = now
        state = db.session.scalar(select(Notification.state)
                                  .where(Notification.id == self.notification_id))
        db.session.commit()
        if state != "sending":
            held = list(self.unfinished)
            self.unfinished = {}
            if state == "cancelled":
                ledger.finish_held(held, "cancelled", "The notification was cancelled.")
            else:
                ledger.release(held)
            self.outcome = f"stopped: notification {state or 'deleted'}"
            return False
        if self.unfinished and now - self.last_renewal >= self.renew_every:
            self.last_renewal = now
            self.lease, still_held = ledger.renew(list(self.unfinished), self.lease)
            liveness.beat()
            self._drop([did for did in self.unfinished if did not in still_held])
        return True

    def _within_rate(self):
        """Wait for the per-second budget; when the day's is spent, hand the rest back."""
        while True:
            verdict = self.rate.acquire()
            if verdict.allowed:
                return True
            if verdict.day_spent:
                held = list(self.unfinished)
                self.unfinished = {}
                ledger.release(held, next_attempt_at=next_utc_day(utcnow()))
                self.outcome = "daily sending limit reached"
                return False
            time.sleep(min(verdict.wait_seconds, 1.0))
            if not self._may_continue():
                return False

    def _drop(self, delivery_ids):
        for delivery_id in delivery_ids:
            self.unfinished.pop(delivery_id, None)

    def release_unfinished(self, error=None):
        """After an unexpected error: hand back what we hold (else the lease expires).

        What ``error`` may be about keeps the attempt its claim counted and retries after
        a backoff, ``failed`` after ``MAX_ATTEMPTS``: the delivery in flight, or all of
        them when rendering the notice or connecting failed. Only deliveries that were
        not tried go back uncounted. So a crash that repeats cannot loop for ever.
        """
        if not self.unfinished:
            return
        held, self.unfinished = list(self.unfinished.values()), {}
        suspect_ids = {r.delivery_id for r in self.suspects} if error is not None else set()
        try:
            db.session.rollback()
            if suspect_ids:
                ledger.retry_later([r for r in held if r.delivery_id in suspect_ids],
                                   errors.unexpected(error))
            ledger.release([r.delivery_id for r in held if r.delivery_id not in suspect_ids])
        except SQLAlchemyError:
            log.exception("Could not release %d deliveries of notification #%s; the sweeper "
                          "will once their lease expires.", len(held), self.notification_id)
