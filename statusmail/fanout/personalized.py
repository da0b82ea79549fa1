"""Sending a batch to SendGrid as personalizations: up to 1,000 deliveries per request.

The batch's deliveries are taken in id order, as the per-message loop takes them (the
same pause checks, lease renewals and sending rate, one recipient at a time), and sent a
request at a time of ``SENDGRID_RECIPIENTS_PER_REQUEST``. Before a request goes out its
deliveries are marked ``in_flight`` (:func:`.ledger.mark_in_flight`), so a worker killed
before the answer is recorded leaves every one of them marked as maybe sent, and their
next copies carry the same Message-IDs.

The answer decides for each delivery of the request:

- 202: all accepted, recorded in one UPDATE;
- 400 naming personalizations: nothing was sent; those fail (with SendGrid's words) and
  the rest go again at once, in a request without them;
- 400 naming none (the shared part): every delivery of the request fails, as each alone
  would have;
- 429 or 5xx: the request's deliveries are retried later, after the usual backoff;
- the API unreachable: the whole batch is retried later; a provider-wide failure (the
  key refused) pauses the notification, as for any transport.
"""
import logging
import time

from flask import current_app

from ..mail import errors
from ..mail.sendgrid import MAX_PERSONALIZATIONS
from ..mail.sendgrid_batch import PersonalizedNotice
from ..models import utcnow
from . import ledger
from .rate import next_utc_day

log = logging.getLogger(__name__)


def recipients_per_request():
    """``SENDGRID_RECIPIENTS_PER_REQUEST`` (1,000, SendGrid's most); 1 sends per message."""
    return max(1, min(current_app.config.get("SENDGRID_RECIPIENTS_PER_REQUEST",
                                             MAX_PERSONALIZATIONS), MAX_PERSONALIZATIONS))


class PersonalizedSender:
    """The batched loop of one :class:`~.batch.BatchRun` (whose state it shares)."""

    def __init__(self, run, transport, recorder, notice):
        self.run, self.transport, self.recorder, self.notice = run, transport, recorder, notice
        self.mail = PersonalizedNotice(notice.template.message, notice.placeholders.words())
        self.per_request = recipients_per_request()

    def send(self):
        run, pending = self.run, []
        for recipient in list(run.unfinished.values()):
            if recipient.delivery_id not in run.unfinished:
                continue  # our lease on it lapsed and another worker has it
            if not run._may_continue():
                return
            allowed = self._within_rate()
            if allowed is None:
                return
            if not allowed:  # the day's budget is spent: send what it paid for
                self._send_request(pending)
                self._hand_back_the_rest()
                return
            person = self._personalization(recipient)
            if person is not None:
                pending.append((recipient, person))
            if len(pending) == self.per_request:
                if not self._send_request(pending):
                    return
                pending = []
        self._send_request(pending)

    def _personalization(self, recipient):
        """Its personalization; None when it was failed or sent on its own instead."""
        run = self.run
        run.suspects = [recipient]
        try:
            values = self.notice.values_for(
                notification_id=run.notification_id, delivery_id=recipient.delivery_id,
                subscriber_id=recipient.subscriber_id, email=recipient.email,
                link_key=recipient.link_key)
            person = self.mail.personalization(values, custom_args=_custom_args(run, recipient))
        except errors.MailError as exc:
            run.suspects = []
            run._handle_refusal(exc, recipient)
            return None
        except run.NOT_THE_MESSAGE:
            raise
        except Exception as exc:  # noqa: BLE001 - whatever it is, it is this message's alone
            run.suspects = []
            run._fail_unexpected(exc, recipient, self.transport)
            return None
        run.suspects = []
        if person is None:
            run._send_one(self.transport, self.recorder, self.notice, recipient, True)
        return person

    def _within_rate(self):
        """True to go on; False when the day's budget is spent; None when stopped."""
        run = self.run
        while True:
            verdict = run.rate.acquire()
            if verdict.allowed:
                return True
            if verdict.day_spent:
                return False
            time.sleep(min(verdict.wait_seconds, 1.0))
            if not run._may_continue():
                return None

    def _hand_back_the_rest(self):
        run = self.run
        held, run.unfinished = list(run.unfinished), {}
        ledger.release(held, next_attempt_at=next_utc_day(utcnow()))
        run.outcome = "daily sending limit reached"

    def _send_request(self, pending):
        """Send ``pending`` as one request (again without any SendGrid refused); False
        when the batch must stop."""
        run = self.run
        while pending:
            ours = ledger.mark_in_flight([r.delivery_id for r, _ in pending], run.lease)
            run._drop([r.delivery_id for r, _ in pending if r.delivery_id not in ours])
            pending = [(r, p) for r, p in pending if r.delivery_id in ours]
            if not pending:
                return True
            run.suspects = [r for r, _ in pending]
            try:
                code, reply = self._post([p for _, p in pending])
            except errors.PersonalizationsRefusedError as exc:
                run.suspects = []
                pending = self._fail_refused(pending, exc)
                continue
            except errors.MailError as exc:
                run.suspects = []
                return self._refused_whole(pending, exc)
            self.recorder.record_many(
                {r.delivery_id: PersonalizedNotice.message_id(p) for r, p in pending}, code,
                reply, first_for_notification=None if run.sent else run.notification_id)
            run.suspects = []
            run.sent += len(pending)
            run._drop([r.delivery_id for r, _ in pending])
            return True
        return True

    def _post(self, personalizations):
        try:
            return self.transport.send_personalized(self.mail.shared, personalizations)
        except errors.DisconnectedError:
            # An idle or recycled connection: nothing was accepted; try once more.
            return self.transport.send_personalized(self.mail.shared, personalizations)

    def _fail_refused(self, pending, exc):
        """Fail what SendGrid named; the rest (none of it was sent) goes again."""
        refused = {index: message for index, message in exc.refused.items()
                   if 0 <= index < len(pending)}
        if not refused:  # it named personalizations the request did not have
            self._refused_whole(pending, errors.ProviderError(exc.detail, exc.code,
                                                              exc.server_reply))
            return []
        for index, message in sorted(refused.items()):
            recipient = pending[index][0]
            self.run._drop([recipient.delivery_id])
            ledger.fail(recipient, errors.ProviderError(
                "SendGrid refused this recipient", exc.code, message))
        log.warning("Notification #%s: SendGrid refused %d recipients of a request; sending "
                    "the other %d again.", self.run.notification_id, len(refused),
                    len(pending) - len(refused))
        return [item for index, item in enumerate(pending) if index not in refused]

    def _refused_whole(self, pending, exc):
        """The request failed as a whole: as one message would have, for each of them."""
        run = self.run
        if exc.provider_wide or (exc.retryable and not isinstance(exc, errors.TemporaryError)):
            run._stop_for(exc)
            return False
        recipients = [r for r, _ in pending]
        run._drop([r.delivery_id for r in recipients])
        if exc.retryable:
            ledger.retry_later(recipients, exc)
        else:
            for recipient in recipients:
                ledger.fail(recipient, exc)
        return True


def _custom_args(run, recipient):
    """Handed back by SendGrid with every event about the message (the webhook reads them)."""
    return {"delivery_id": recipient.delivery_id, "notification_id": run.notification_id}
