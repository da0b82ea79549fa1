"""Admin: add one subscriber (a confirmation mail, or confirmed with a consent note) and
mark a pending one confirmed; both land in the subscriber's history."""
from flask import flash, redirect, render_template, url_for
from flask_login import current_user

from ..extensions import db
from ..models import Subscriber
from ..services import subscriber_additions as service
from ..services.subscriber_admin import SubscriberActionRefused
from . import bp
from .subscriber_forms import AddSubscriberForm, MarkConfirmedForm


@bp.route("/subscribers/new", methods=["GET", "POST"])
def subscriber_add():
    form = AddSubscriberForm()
    if form.validate_on_submit():
        try:
            subscriber = service.add_subscriber(
                form.normalized_email, confirm=form.confirm.data,
                consent_note=form.consent_note.data, actor=current_user.email)
        except service.SubscriberExists as exc:
            flash(str(exc), "error")
            return redirect(url_for("admin.subscriber_detail", subscriber_id=exc.subscriber_id))
        except service.AddressSuppressed as exc:
            form.email.errors = [str(exc)]
        except SubscriberActionRefused as exc:
            form.consent_note.errors = [str(exc)]
        else:
            flash(f"{subscriber.email} is added and confirmed." if subscriber.status == "confirmed"
                  else f"{subscriber.email} is added; a confirmation mail is on its way. They get "
                       "notices once they confirm.", "success")
            return redirect(url_for("admin.subscriber_detail", subscriber_id=subscriber.id))
    return render_template("admin/subscriber_add.html", form=form), 400 if form.errors else 200


@bp.route("/subscribers/<int:subscriber_id>/mark-confirmed", methods=["POST"])
def subscriber_mark_confirmed(subscriber_id):
    subscriber = db.get_or_404(Subscriber, subscriber_id)
    form = MarkConfirmedForm()
    if not form.validate_on_submit():
        for error in form.consent_note.errors or ["The form expired; try again."]:
            flash(error, "error")
    else:
        try:
            email = service.mark_confirmed(subscriber.id, form.consent_note.data,
                                           actor=current_user.email)
        except SubscriberActionRefused as exc:
            flash(str(exc), "error")
        else:
            flash(f"{email} is confirmed and gets notices from now on.", "success")
    return redirect(url_for("admin.subscriber_detail", subscriber_id=subscriber_id))
