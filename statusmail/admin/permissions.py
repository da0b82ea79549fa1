"""Who may use which admin route: one table, read by the admin gate, the rq-dashboard
guard, the ``can()`` template helper and the URL-map walk in tests/admin/test_login_gate.py.

The default covers routes nobody has listed yet: reading (GET, HEAD, OPTIONS) needs a
viewer, anything else an editor — except that a page which *is* a form (its route takes
GET and POST: "new incident", "remove subscriber") opens only for whoever may send it, so a
viewer is never shown a form they cannot use. Owner-only areas are matched by endpoint *prefix*, so a
route added later in one of them (``admin.dkim_rotate``, ``admin.users_…``) is owner-only
without anyone editing this file.
"""
from flask import current_app

from ..models.users import ROLES

READING = frozenset({"GET", "HEAD", "OPTIONS"})

# Owner-only, by endpoint prefix. Captured mail holds password-reset and invitation
# links, so reading it would let a viewer take over an owner's account; the audit log
# carries every admin's addresses and client IPs.
OWNER_ONLY_PREFIXES = (
    "admin.users",             # users and invitations
    "admin.email_settings",    # email settings, incl. admin.email_settings_try
    "admin.test_send",         # test send and its result pages
    "admin.dkim",              # DKIM settings (branch dkim)
    "admin.event_webhook",     # the SendGrid event webhook's verification key
    "admin.api_tokens", "admin.create_token", "admin.revoke_token",
    "admin.audit",             # the audit log, its settings and retention
    "admin.captured",          # captured mail
    "rq_dashboard.",           # the RQ dashboard, every route of it
)

# Every signed-in admin, whatever the method: their own account, and leaving.
SELF_SERVICE = frozenset({"admin.logout", "admin.change_password", "admin.change_email"})



def required_role(endpoint, method):
    """The lowest role that may send ``method`` to ``endpoint``."""
    if endpoint in SELF_SERVICE:
        return ROLES[0]
    if endpoint.startswith(OWNER_ONLY_PREFIXES):
        return "owner"
    if method.upper() not in READING:
        return "editor"
    return "editor" if endpoint in _form_pages() else "viewer"


def _form_pages():
    """Endpoints whose route answers both GET and POST, from the app's URL map (complete
    before the first request: Flask refuses routes added later)."""
    pages = current_app.extensions.get("statusmail.form_pages")
    if pages is None:
        pages = frozenset(rule.endpoint for rule in current_app.url_map.iter_rules()
                          if {"GET", "POST"} <= rule.methods)
        current_app.extensions["statusmail.form_pages"] = pages
    return pages


def allows(user, endpoint, method="GET"):
    """True if ``user`` (signed in) may send ``method`` to ``endpoint``."""
    return user.is_authenticated and user.has_role(required_role(endpoint, method))


def refuse(endpoint, method):
    """The 403 page: what the route needs, what the admin has, and who can help."""
    from flask import render_template
    from flask_login import current_user
    needed = required_role(endpoint, method)
    return render_template("admin/forbidden.html", needed=needed, role=current_user.role), 403
