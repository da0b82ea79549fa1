"""Response headers that limit what a page can do if something slips through.

Every response carries a Content-Security-Policy that allows scripts, styles and images
from our own origin only: no inline script, no inline ``style=""`` attribute, no plugins,
no ``<base>`` from elsewhere, and no framing by other sites — except the subscribe widget,
which status pages embed (``allow_any_framing``). Two documents get their own policy:

- the captured-mail preview (``MAIL_PREVIEW_POLICY``): a mail's HTML needs inline styles
  and must run nothing at all (sandboxed, scripts never allowed);
- rq-dashboard under ``/admin/rq/``: a vendored, admins-only tool whose pages are built by
  inline scripts and underscore templates (``new Function``). Rewriting it is not ours to
  do, so it alone keeps ``'unsafe-inline' 'unsafe-eval'`` for scripts.

Admin pages are never cached (``no-store``): a shared or back-button cache must not keep
subscriber lists or settings. Production adds HSTS.
"""
from flask import request

BASE_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'self'",
}
# Same-origin (for the admin page to size its frame to the whole mail) but no scripts:
# without allow-scripts nothing in the mail runs, whatever its origin.
MAIL_PREVIEW_POLICY = ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
                       "base-uri 'none'; form-action 'none'; frame-ancestors 'self'; "
                       "sandbox allow-same-origin")
RQ_DASHBOARD_PREFIX = "/admin/rq/"
ADMIN_PREFIX = "/admin/"


def content_security_policy(**directives):
    """The policy with some directives replaced (``frame_ancestors="*"``)."""
    policy = dict(BASE_POLICY)
    policy.update({name.replace("_", "-"): value for name, value in directives.items()})
    return "; ".join(f"{name} {value}" for name, value in policy.items())


DEFAULT_POLICY = content_security_policy()
FRAMABLE_POLICY = content_security_policy(frame_ancestors="*")
RQ_DASHBOARD_POLICY = content_security_policy(script_src="'self' 'unsafe-inline' 'unsafe-eval'",
                                              style_src="'self' 'unsafe-inline'")


def allow_any_framing(response):
    """For the widget: any site may frame it (it sets no cookie and checks Origin)."""
    response.headers["Content-Security-Policy"] = FRAMABLE_POLICY
    response.headers.pop("X-Frame-Options", None)
    return response


def use_mail_preview_policy(response):
    response.headers["Content-Security-Policy"] = MAIL_PREVIEW_POLICY
    return response


def register(app):
    hsts_max_age = app.config.get("HSTS_MAX_AGE") or 0

    @app.after_request
    def security_headers(response):
        headers = response.headers
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        if request.path.startswith(RQ_DASHBOARD_PREFIX):
            headers.setdefault("Content-Security-Policy", RQ_DASHBOARD_POLICY)
        else:
            headers.setdefault("Content-Security-Policy", DEFAULT_POLICY)
        if "frame-ancestors *" not in headers["Content-Security-Policy"]:
            headers.setdefault("X-Frame-Options", "SAMEORIGIN")
        if request.path.startswith(ADMIN_PREFIX) or request.path == ADMIN_PREFIX.rstrip("/"):
            headers["Cache-Control"] = "no-store"
        if hsts_max_age:
            headers.setdefault("Strict-Transport-Security", f"max-age={hsts_max_age}")
        return response
