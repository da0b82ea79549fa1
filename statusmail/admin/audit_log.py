"""Audit log: every operator action and state-changing API call, newest first."""
from flask import render_template, request

from ..services.audit_log import events_page, label
from ..services.timezones import operator_zone
from . import bp

PER_PAGE = 50
# Ids are 32-bit; a larger ?before= is read as "from the newest" instead of overflowing.
LARGEST_ID = 2**31 - 1


@bp.route("/audit-log")
def audit_log():
    before = request.args.get("before", type=int)
    if before is not None and not 0 < before <= LARGEST_ID:
        before = None
    rows, next_before = events_page(before, PER_PAGE)
    return render_template("admin/audit_log.html", rows=rows, next_before=next_before,
                           first_page=before is None, label=label,
                           zone=operator_zone())
