"""Captured mail: read what statusmail would have sent while no provider is configured."""
from flask import (Response, abort, current_app, flash, redirect, render_template, request,
                   url_for)
from flask_wtf import FlaskForm

from ..extensions import db
from ..models import CapturedMail
from ..security_headers import use_mail_preview_policy
from ..services.captured_mail import (captured_page, delete_all_captured, describe_usage,
                                      raw_source, read_captured)
from ..services.keyset import cursor_args
from ..services.request_settings import current_settings
from . import bp


class DeleteAllCapturedForm(FlaskForm):
    """No fields: the CSRF token is the point."""


@bp.route("/captured")
def captured_mail():
    recipient = request.args.get("recipient", "").strip()
    page = captured_page(recipient, *cursor_args())
    return render_template("admin/captured.html", page=page, recipient=recipient,
                           usage=describe_usage(current_app.config["CAPTURE_MAX_BYTES"]),
                           retention_days=current_settings().delivery_retention_days,
                           delete_form=DeleteAllCapturedForm())


@bp.route("/captured/<int:captured_id>")
def captured_message(captured_id):
    row = db.session.get(CapturedMail, captured_id) or abort(404)
    return render_template("admin/captured_message.html", row=row, mail=read_captured(row),
                           raw=raw_source(row))


@bp.route("/captured/<int:captured_id>/html")
def captured_html(captured_id):
    """The mail's HTML part as its own sandboxed document: it keeps its inline styles
    (mail needs them) under a policy that runs nothing, while the admin page around it
    keeps the strict one."""
    row = db.session.get(CapturedMail, captured_id) or abort(404)
    part = read_captured(row)["html"]
    if part is None:
        abort(404)
    return use_mail_preview_policy(Response(part, mimetype="text/html"))


@bp.route("/captured/<int:captured_id>/raw")
def captured_raw(captured_id):
    """The raw source as plain text, to read in the browser: never rendered as markup."""
    row = db.session.get(CapturedMail, captured_id) or abort(404)
    return Response(row.raw, mimetype="text/plain", headers={
        "Content-Disposition": f'inline; filename="captured-{row.id}.txt"'})


@bp.route("/captured/<int:captured_id>.eml")
def captured_download(captured_id):
    row = db.session.get(CapturedMail, captured_id) or abort(404)
    return Response(row.raw, mimetype="message/rfc822", headers={
        "Content-Disposition": f'attachment; filename="captured-{row.id}.eml"'})


@bp.route("/captured/delete-all", methods=["POST"])
def captured_delete_all():
    if DeleteAllCapturedForm().validate_on_submit():
        deleted = delete_all_captured()
        flash(f"Deleted {deleted} captured mail{'s' if deleted != 1 else ''}.", "info")
    return redirect(url_for("admin.captured_mail"))
