"""Audit log: every operator action and state-changing API call, newest first, filtered
by who, what and when; the filtered set as CSV; how long the log is kept."""
from datetime import datetime, timezone

from flask import Response, flash, redirect, render_template, request, stream_with_context, \
    url_for

from ..models import SiteSettings
from ..services import audit
from ..services.audit_log import entries_page, export_csv, known_actors, label, \
    save_audit_settings
from ..services.keyset import cursor_args
from ..services.timezones import operator_zone
from . import bp
from .audit_forms import AuditExportForm, AuditFilterForm, AuditSettingsForm

PER_PAGE = 50


@bp.route("/audit-log")
def audit_log():
    filter_form = AuditFilterForm(formdata=request.args)
    return _page(filter_form, AuditSettingsForm(
        formdata=None, audit_retention_days=SiteSettings.get().audit_retention_days))


def _page(filter_form, settings_form, status=200):
    filters = filter_form.filters()
    zone = operator_zone()
    page = entries_page(filters, zone, PER_PAGE, *cursor_args())
    return render_template("admin/audit_log.html", page=page, filters=filters,
                           link_args=filters.args(), filter_form=filter_form,
                           export_form=AuditExportForm(), settings_form=settings_form,
                           actors=known_actors(), label=label, zone=zone), status


@bp.route("/audit-log/export", methods=["POST"])
def audit_log_export():
    filter_form = AuditFilterForm(formdata=request.form)
    if not AuditExportForm().validate_on_submit():
        flash("The export did not start: reload the page and try again.", "error")
        return redirect(url_for("admin.audit_log"))
    filters = filter_form.filters()
    audit.record("audit_log_exported", "Audit log exported to CSV", **filters.args())
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
    return Response(stream_with_context(export_csv(filters, operator_zone())),
                    mimetype="text/csv", headers={
                        "Content-Disposition": f'attachment; filename="audit-log-{stamp}.csv"',
                        "Cache-Control": "no-store"})


@bp.route("/audit-log/settings", methods=["POST"])
def audit_log_settings():
    form = AuditSettingsForm()
    if form.validate_on_submit():
        save_audit_settings(form.audit_retention_days.data)
        flash("Audit log settings saved.", "success")
        return redirect(url_for("admin.audit_log"))
    flash("Nothing was saved: correct the field marked below.", "error")
    return _page(AuditFilterForm(formdata=None), form, status=422)
