"""Overview: the notifications switch (Features → Notifications) and worker health."""
import redis
from flask import flash, redirect, render_template, url_for
from flask_wtf import FlaskForm
from wtforms import HiddenField

from ..extensions import db
from ..models import SiteSettings
from ..queues import worker_heartbeats
from ..services.subscriber_admin import status_counts
from . import bp
from .security_notes import note


class NotificationsSwitchForm(FlaskForm):
    enabled = HiddenField()


@bp.route("/")
def index():
    settings = SiteSettings.get()
    try:
        workers, redis_error = worker_heartbeats(), None
    except redis.RedisError as exc:
        workers, redis_error = [], str(exc)
    counts = status_counts().counts  # maintained counts: a few rows, whatever the list
    return render_template("admin/overview.html", settings=settings, workers=workers,
                           redis_error=redis_error, counts=counts,
                           switch_form=NotificationsSwitchForm())


@bp.route("/features/notifications", methods=["POST"])
def toggle_notifications():
    form = NotificationsSwitchForm()
    if form.validate_on_submit() and form.enabled.data in ("on", "off"):
        settings = SiteSettings.get()
        settings.notifications_enabled = form.enabled.data == "on"
        db.session.commit()
        note("notifications_switched", enabled=settings.notifications_enabled)
        flash("Email notifications are on: subscribers get notices for new events."
              if settings.notifications_enabled else
              "Email notifications are off: no notices go to subscribers until you turn them on.",
              "info")
    else:
        flash("Choose on or off.", "error")
    return redirect(url_for("admin.index"))
