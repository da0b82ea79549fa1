"""The admin site. One gate in front of every route: nothing here is public by accident,
and nothing is open to a role the table in permissions.py does not let in."""
from flask import Blueprint, current_app, flash, redirect, request, url_for
from flask_login import current_user

from ..services import audit
from .permissions import allows, refuse

bp = Blueprint("admin", __name__)

# Reachable without a session: the ways to get one.
PUBLIC_ENDPOINTS = frozenset({"admin.login", "admin.forgot_password", "admin.reset_password",
                              "admin.accept_invitation"})

NAV = [
    ("admin.index", "Overview"),
    ("admin.email_settings", "Email settings"),
    ("admin.subscribers", "Subscribers"),
    ("admin.components", "Components"),
    ("admin.incidents", "Incidents"),
    ("admin.maintenances", "Maintenance"),
    ("admin.mail_templates", "Mail templates"),
    ("admin.notifications", "Delivery log"),
    ("admin.suppressions", "Suppressions"),
    ("admin.deliverability", "Deliverability"),
    ("admin.captured_mail", "Captured mail"),
    ("admin.api_tokens", "API tokens"),
    ("admin.users", "Users"),
    ("admin.audit_log", "Audit log"),
    ("rq_dashboard.queues_overview", "Queues"),
]


@bp.before_request
def require_login():
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    if current_user.is_authenticated:
        # Whatever this request changes, the audit log says this admin did it.
        audit.act_as(audit.Actor.admin(current_user, request.remote_addr))
    else:
        from .auth import session_ended_message
        ended = session_ended_message(current_app.config)
        if ended:
            flash(ended, "info")
        return redirect(url_for("admin.login", next=request.full_path))
    if not allows(current_user, request.endpoint, request.method):
        return refuse(request.endpoint, request.method)
    return None


@bp.context_processor
def admin_context():
    from ..services.admin_banners import banners
    nav = [(endpoint, label) for endpoint, label in NAV
           if _has_endpoint(endpoint) and allows(current_user, endpoint)]
    return {"admin_nav": nav, "can": can,
            "admin_banners": banners() if current_user.is_authenticated else []}


def can(endpoint, method="GET"):
    """For templates: show a link, button or form only to an admin whose role may use it."""
    return allows(current_user, endpoint, method)


def _has_endpoint(endpoint):
    from flask import current_app
    return endpoint in current_app.view_functions


# Route registration, one module per admin area.
from . import (  # noqa: E402,F401
    api_tokens, audience, auth, captured, components, email_settings, incident_drafts,
    incident_templates, incidents, mail_templates, maintenances, markdown_preview, notifications,
    overview, subscriber_additions, subscriber_transfers, subscribers, suppressions,
)
from . import (  # noqa: E402,F401
    account, audit_log, deliverability, dkim, invitations, password_reset, users,
)
