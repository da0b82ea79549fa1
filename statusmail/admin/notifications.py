"""Delivery log: every notice's fan-out, its live progress, and the operator's controls."""
from flask import abort, current_app, flash, jsonify, redirect, render_template, url_for
from flask_wtf import FlaskForm
from werkzeug.routing import BuildError

from .. import fanout
from ..extensions import db
from ..fanout.queue import MAX_ATTEMPTS
from ..models import Notification
from ..models.notifications import DELIVERY_STATES
from ..services import delivery_log
from ..services.deliverability import reports as provider_reports
from ..services.keyset import cursor_args
from ..services.timezones import operator_zone
from . import bp

PER_PAGE = 25
FAILURES_PER_PAGE = 50
WAITING_PER_PAGE = 50
WAITING_CURSOR = "waiting_"  # the deferred list pages with ?waiting_after=, apart from failures
SUBSCRIBER_DETAIL = "admin.subscriber_detail"


class NotificationActionForm(FlaskForm):
    """Only the CSRF token: which action is in the URL."""


def _pause(notification_id):
    if fanout.pause_notification(notification_id):
        return "info", ("Sending is paused. Mail already accepted stays sent; resume to send "
                        "the rest.")
    return "error", "This notice is not sending, so there is nothing to pause."


def _resume(notification_id):
    if fanout.resume_notification(notification_id):
        return "info", "Sending resumed."
    return "error", "This notice is not paused, so there is nothing to resume."


def _cancel(notification_id):
    if fanout.cancel_notification(notification_id):
        return "info", ("Sending is cancelled: subscribers who had not received the notice "
                        "will not get it.")
    return "error", "This notice has already finished; there is nothing left to cancel."


def _retry_failed(notification_id):
    requeued = fanout.retry_failed(notification_id)
    if not requeued:
        return "error", "No failed delivery to retry (a cancelled notice is not retried)."
    return "info", (f"{requeued} failed {'delivery is' if requeued == 1 else 'deliveries are'} "
                    "queued again.")


ACTIONS = {"pause": _pause, "resume": _resume, "cancel": _cancel, "retry-failed": _retry_failed}


@bp.route("/deliveries")
def notifications():
    pages = delivery_log.notifications_page(PER_PAGE, *cursor_args())
    counts_by_id = delivery_log.state_counts([n.id for n in pages.items])
    percents = {n.id: delivery_log.percent_finished(counts_by_id[n.id], n)
                for n in pages.items}
    return render_template("admin/notifications.html", pages=pages, counts_by_id=counts_by_id,
                           percents=percents, zone_name=operator_zone().key,
                           states=delivery_log.display_states(pages.items))


def _utc_iso(value):
    return value.isoformat(timespec="seconds") + "Z" if value else None


@bp.route("/deliveries/<int:notification_id>")
def notification_detail(notification_id):
    notification = db.get_or_404(Notification, notification_id)
    progress = fanout.notification_progress(notification_id)
    failures = delivery_log.failures_page(notification_id, FAILURES_PER_PAGE, *cursor_args())
    waiting = delivery_log.deferred_page(notification_id, WAITING_PER_PAGE,
                                         *cursor_args(WAITING_CURSOR))
    return render_template(
        "admin/notifications_detail.html", notification=notification,
        progress=progress, next_attempt_iso=_utc_iso(progress["next_attempt_at"]),
        failures=failures,
        waiting=waiting, waiting_cursor=WAITING_CURSOR, max_attempts=MAX_ATTEMPTS,
        first_sent_latency=delivery_log.first_sent_latency(notification),
        delivery_states=DELIVERY_STATES, action_form=NotificationActionForm(),
        subscriber_url=_subscriber_url,
        reported=provider_reports.reported_page(
            notification_id, FAILURES_PER_PAGE, *cursor_args(provider_reports.REPORTED_CURSOR)),
        reported_cursor=provider_reports.REPORTED_CURSOR, reported_label=provider_reports.label)


@bp.route("/deliveries/<int:notification_id>.json")
def notification_progress(notification_id):
    db.get_or_404(Notification, notification_id)
    progress = fanout.notification_progress(notification_id)
    progress["next_attempt_at"] = _utc_iso(progress["next_attempt_at"])
    return jsonify(progress), 200, {"Cache-Control": "no-store"}


@bp.route("/deliveries/<int:notification_id>/<action>", methods=["POST"])
def notification_action(notification_id, action):
    """POST pause, resume, cancel or retry-failed."""
    if action not in ACTIONS:
        abort(404)
    db.get_or_404(Notification, notification_id)
    if not NotificationActionForm().validate_on_submit():
        abort(400)
    category, message = ACTIONS[action](notification_id)
    flash(message, category)
    return redirect(url_for("admin.notification_detail", notification_id=notification_id))


def _subscriber_url(subscriber_id):
    """Link to the subscriber's admin page, once that page exists."""
    if SUBSCRIBER_DETAIL not in current_app.view_functions:
        return None
    try:
        return url_for(SUBSCRIBER_DETAIL, subscriber_id=subscriber_id)
    except BuildError:
        return None
