"""Admin: the subscriber list with search and filters, one subscriber's record, removal,
re-sending a confirmation and invalidating their links (CSV export and import:
subscriber_transfers)."""
from flask import flash, redirect, render_template, request, url_for

from ..extensions import db
from ..models import Subscriber
from ..services import subscriber_admin as admin_service
from ..services.subscriber_additions import history
from ..services.keyset import cursor_args
from ..services.suppressions import active_for as active_suppression
from . import bp
from .subscriber_forms import (
    ActionForm, ExportForm, MarkConfirmedForm, RemoveSubscriberForm, SubscriberFilterForm,
)

PER_PAGE = 50


def _filters():
    form = SubscriberFilterForm(formdata=request.args)
    return form, form.values()


def _link_args(filters):
    """Query arguments that repeat the current filters (defaults left out)."""
    return {name: value for name, value in filters.items()
            if value and not (name == "status" and value == "all")}


def _back(target):
    """Return to the subscriber page the operator came from, never anywhere else."""
    list_url = url_for("admin.subscribers")
    return target if target and target.startswith(list_url) else list_url


@bp.route("/subscribers")
def subscribers():
    filter_form, filters = _filters()
    page = admin_service.subscribers_page(filters["status"], filters["q"], PER_PAGE,
                                          *cursor_args())
    status_urls = {status: url_for("admin.subscribers", **_link_args({**filters, "status": status}))
                   for status in admin_service.STATUS_FILTERS}
    return render_template("admin/subscribers.html", filter_form=filter_form, filters=filters,
                           link_args=_link_args(filters), status_urls=status_urls,
                           page=page, counts=admin_service.status_counts(filters["q"]),
                           action_form=ActionForm(), export_form=ExportForm())


@bp.route("/subscribers/<int:subscriber_id>")
def subscriber_detail(subscriber_id):
    subscriber = db.get_or_404(Subscriber, subscriber_id)
    return render_template(
        "admin/subscriber_detail.html", subscriber=subscriber,
        components=subscriber.components if not subscriber.all_components else [],
        deliveries=admin_service.delivery_history(subscriber_id),
        outbound=admin_service.one_off_mails(subscriber_id), history=history(subscriber),
        history_limit=admin_service.HISTORY_LIMIT, action_form=ActionForm(),
        confirm_form=MarkConfirmedForm(formdata=None),
        suppression=active_suppression(subscriber.email))


@bp.route("/subscribers/<int:subscriber_id>/remove", methods=["GET", "POST"])
def subscriber_remove(subscriber_id):
    subscriber = db.get_or_404(Subscriber, subscriber_id)
    form = RemoveSubscriberForm()
    if not form.is_submitted():
        form.next.data = request.args.get("next")
    if form.validate_on_submit():
        try:
            email = admin_service.remove_subscriber(subscriber_id)
        except admin_service.SubscriberActionRefused as exc:
            flash(str(exc), "error")
        else:
            flash(f"{email} is removed, with their delivery history.", "success")
        return redirect(_back(form.next.data))
    return render_template("admin/subscribers_remove.html", subscriber=subscriber, form=form,
                           deliveries=admin_service.delivery_count(subscriber_id))


@bp.route("/subscribers/<int:subscriber_id>/invalidate-links", methods=["POST"])
def subscriber_invalidate_links(subscriber_id):
    form = ActionForm()
    if form.validate_on_submit():
        try:
            email = admin_service.invalidate_links(subscriber_id)
        except admin_service.SubscriberActionRefused as exc:
            flash(str(exc), "error")
        else:
            flash(f"Every link mailed to {email} so far no longer works. The next mail "
                  "carries new ones.", "success")
    return redirect(_back(form.next.data))


@bp.route("/subscribers/<int:subscriber_id>/resend-confirmation", methods=["POST"])
def subscriber_resend_confirmation(subscriber_id):
    form = ActionForm()
    if form.validate_on_submit():
        try:
            email = admin_service.resend_confirmation(subscriber_id)
        except admin_service.SubscriberActionRefused as exc:
            flash(str(exc), "error")
        else:
            flash(f"A new confirmation mail to {email} is on its way.", "success")
    return redirect(_back(form.next.data))
