"""The fan-out batch job: a few hundred deliveries of one notification, one connection.

Safe to run twice or concurrently: deliveries are claimed in the database with a lease,
and each outcome is committed as soon as the server answers, so a delivery the server
accepted is never offered again.
"""
from sqlalchemy import select

from ..extensions import db
from ..fanout import ledger, liveness
from ..fanout.batch import BatchRun
from ..fanout.control import complete_if_finished, pause_notification
from ..fanout.notices import compile_templates
from ..models import Notification
from ..services.delivery_settings import delivery_settings
from ..services.metrics import count_sent
from . import job


def prepare_worker():
    """What a fresh worker would otherwise do during its first notice, delaying it:
    compile the templates and open a database connection."""
    compile_templates()
    db.session.execute(select(Notification.id).limit(1))
    db.session.remove()


@job
def send_batch(notification_id, delivery_ids):
    """Send what is still due among ``delivery_ids``; returns a line for the dashboard.

    Alive (see :mod:`..fanout.liveness`) from its first line, before its claim commits.
    """
    liveness.beat()
    try:
        return _send_batch(notification_id, delivery_ids)
    finally:
        liveness.finished()


def _send_batch(notification_id, delivery_ids):
    notification = db.session.get(Notification, notification_id)
    if notification is None or notification.state != "sending":
        return "notification is not sending"
    settings = delivery_settings()
    if settings.provider_failure:
        pause_notification(notification_id, by="provider")
        return "paused: the email provider is failing"
    lease, claimed = ledger.claim(notification_id, delivery_ids)
    if not claimed:
        return "nothing left to claim"
    run = BatchRun(notification, settings, lease)
    try:
        run.send(ledger.load_recipients(claimed))
    finally:
        run.release_unfinished()
        count_sent(settings.provider, run.sent)
    complete_if_finished(notification_id)
    return run.outcome
