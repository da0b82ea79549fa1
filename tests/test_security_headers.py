"""Headers every response carries: CSP without inline script, no-store on admin, HSTS in
production. The URL map is walked, so a new page is covered without a new test."""
import os
import re

import pytest

from statusmail.security_headers import DEFAULT_POLICY, FRAMABLE_POLICY, RQ_DASHBOARD_POLICY
from tests.support import web
from tests.support.processes import PROJECT_ROOT

REQUIRED_DIRECTIVES = ["default-src 'self'", "script-src 'self'", "object-src 'none'",
                       "base-uri 'self'", "frame-ancestors 'self'"]
TEMPLATES = os.path.join(PROJECT_ROOT, "templates")
# Mail is read in mail clients, which need inline styles; it is never served as a page
# (captured mail shows it in its own sandboxed document).
MAIL_TEMPLATES = os.path.join(TEMPLATES, "email")
INLINE_CODE = {
    "inline <script>": re.compile(r"<script(?![^>]*\ssrc=)[^>]*>", re.IGNORECASE),
    "on* handler": re.compile(r"<[^>]*\son[a-z]+\s*=", re.IGNORECASE),
    "javascript: URL": re.compile(r"javascript:", re.IGNORECASE),
    "style attribute": re.compile(r"<[^>]*\sstyle\s*=", re.IGNORECASE),
    "<style> block": re.compile(r"<style[\s>]", re.IGNORECASE),
}


def _fill(rule):
    def value(match):
        if match.group(2) == "instance_number":  # rq-dashboard's first (only) Redis
            return "0"
        return "1" if match.group(1) == "int" else "x"
    return re.sub(r"<(?:(\w+):)?(\w+)>", value, rule.rule)


def _get_rules(app, prefix):
    return [rule for rule in app.url_map.iter_rules()
            if rule.rule.startswith(prefix) and "GET" in rule.methods]


def test_the_default_policy_has_the_required_directives():
    for directive in REQUIRED_DIRECTIVES:
        assert directive in DEFAULT_POLICY.split("; ")
    assert "'unsafe-inline'" not in DEFAULT_POLICY and "'unsafe-eval'" not in DEFAULT_POLICY
    assert FRAMABLE_POLICY == DEFAULT_POLICY.replace("frame-ancestors 'self'", "frame-ancestors *")


def test_templates_hold_no_inline_code():
    found = []
    for root, _, files in os.walk(TEMPLATES):
        if root.startswith(MAIL_TEMPLATES):
            continue
        for name in files:
            path = os.path.join(root, name)
            with open(path) as fh:
                text = fh.read()
            found += [(os.path.relpath(path, TEMPLATES), what)
                      for what, pattern in INLINE_CODE.items() if pattern.search(text)]
    assert found == []


def test_every_admin_page_is_no_store_under_the_strict_policy(make_app):
    # Errors answered as pages (as in production), so that their headers can be read too:
    # rq-dashboard answers an unknown job id with a 500 of its own.
    app = make_app(PROPAGATE_EXCEPTIONS=False)
    admin_client = app.test_client()
    web.create_admin(app)
    web.login(admin_client)
    rules = _get_rules(app, "/admin")
    assert len(rules) > 15
    for rule in rules:
        url = _fill(rule)
        response = admin_client.get(url)
        response.close()
        assert response.status_code < 500 or url.startswith("/admin/rq/"), url
        assert response.headers["Cache-Control"] == "no-store", url
        expected = RQ_DASHBOARD_POLICY if url.startswith("/admin/rq/") else DEFAULT_POLICY
        assert response.headers["Content-Security-Policy"] == expected, url


def test_admin_login_and_its_redirects_are_no_store(client):
    for url in ("/admin/login", "/admin/forgot-password", "/admin/", "/admin/subscribers"):
        assert client.get(url).headers["Cache-Control"] == "no-store", url


def test_every_public_page_has_the_policy(app, client):
    rules = [rule for rule in app.url_map.iter_rules()
             if not rule.rule.startswith(("/admin", "/api")) and "GET" in rule.methods]
    assert len(rules) > 5
    for rule in rules:
        url = _fill(rule)
        response = client.get(url)
        response.close()
        # /healthz answers 503 while no worker runs: that is its message.
        assert response.status_code < 500 or rule.endpoint.startswith("ops."), url
        expected = FRAMABLE_POLICY if rule.endpoint == "public.widget" else DEFAULT_POLICY
        assert response.headers["Content-Security-Policy"] == expected, url
        if not rule.endpoint.startswith("ops."):  # health and metrics are no-store themselves
            assert "no-store" not in response.headers.get("Cache-Control", ""), url


def test_hsts_in_production_only(make_app, monkeypatch):
    assert "Strict-Transport-Security" not in make_app().test_client().get("/").headers
    monkeypatch.setenv("STATUSMAIL_ENV", "production")
    production = make_app().test_client()
    for url in ("/", "/admin/login", "/widget"):
        assert production.get(url).headers["Strict-Transport-Security"] == "max-age=31536000", url
