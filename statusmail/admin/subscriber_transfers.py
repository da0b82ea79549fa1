"""Admin: CSV export and import of subscribers, each a background job with a progress
page, then a download (export) or a result (import)."""
from flask import (
    abort, flash, jsonify, redirect, render_template, request, send_file, url_for,
)
from flask_login import current_user

from .. import large_upload
from ..extensions import db
from ..models import SubscriberTransfer, utcnow
from ..services import transfers
from ..services.transfers import files
from ..services.timezones import format_local
from . import bp
from .subscriber_forms import ExportForm, ImportForm


@bp.route("/subscribers/export", methods=["POST"])
def subscribers_export():
    form = ExportForm()
    if not form.validate_on_submit():
        flash("The export could not start: reload the page and try again.", "error")
        return redirect(url_for("admin.subscribers"))
    status, search = form.values()
    transfer = transfers.start_export(status, search, current_user.id)
    return redirect(url_for("admin.subscriber_transfer", transfer_id=transfer.id))


@bp.route("/subscribers/import", methods=["GET", "POST"])
@large_upload  # the only form with a big body: spooled to disk, never held in memory
def subscribers_import():
    form = ImportForm()
    if form.validate_on_submit():
        try:
            transfer = transfers.start_import(form.file.data, form.mode.data, current_user.id)
        except transfers.TransferRefused as exc:
            form.file.errors.append(str(exc))
        else:
            return redirect(url_for("admin.subscriber_transfer", transfer_id=transfer.id))
    return render_template("admin/subscriber_import.html", form=form)


def _transfer(transfer_id):
    return db.get_or_404(SubscriberTransfer, transfer_id)


@bp.route("/subscribers/transfers/<int:transfer_id>")
def subscriber_transfer(transfer_id):
    transfer = _transfer(transfer_id)
    return render_template("admin/subscriber_transfer.html", transfer=transfer,
                           progress=transfers.progress(transfer), result=transfer.result or {})


@bp.route("/subscribers/transfers/<int:transfer_id>/progress")
def subscriber_transfer_progress(transfer_id):
    return jsonify(transfers.progress(_transfer(transfer_id)))


@bp.route("/subscribers/transfers/<int:transfer_id>/download")
def subscriber_transfer_download(transfer_id):
    transfer = _transfer(transfer_id)
    if transfer.kind != "export" or transfer.state != "done" or not transfer.file_name:
        abort(404)
    parts = ["subscribers"] + ([transfer.status_filter]
                               if transfer.status_filter not in (None, "all") else [])
    stamp = format_local(transfer.finished_at or utcnow(), "%Y-%m-%d")
    # send_file sets Content-Length: a download that breaks off shows as broken.
    response = send_file(files.path_of(transfer.file_name), mimetype="text/csv",
                         as_attachment=True, download_name="-".join(parts + [stamp]) + ".csv",
                         conditional=False, max_age=0)
    response.headers["Cache-Control"] = "no-store"
    return response
