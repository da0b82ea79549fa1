"""Every admin route needs a login, and the role the permission table names: walk the URL
map so a new route cannot slip through."""
import re

import pytest

from statusmail.admin.permissions import required_role
from tests.support import web

PUBLIC_ADMIN = {"admin.login", "admin.forgot_password", "admin.reset_password",
                "admin.accept_invitation"}
# Written out, not read from the table: if a prefix is dropped from it, this fails.
OWNER_ONLY = {
    "admin.email_settings", "admin.email_settings_try", "admin.test_send",
    "admin.test_send_result", "admin.test_send_status", "admin.api_tokens",
    "admin.create_token", "admin.revoke_token", "admin.audit_log", "admin.captured_mail",
    "admin.captured_message", "admin.captured_html", "admin.captured_raw",
    "admin.captured_download", "admin.captured_delete_all", "admin.event_webhook",
    "admin.users", "admin.users_invite", "admin.users_set_role", "admin.users_deactivate",
    "admin.users_reactivate", "admin.users_revoke_invitation", "admin.users_resend_invitation",
}
# Areas other helpers add routes to: whatever they are called, they are owner-only.
OWNER_ONLY_AREAS = ("rq_dashboard.", "admin.dkim", "admin.audit", "admin.users")
EVERY_ROLE = {"admin.logout", "admin.change_password", "admin.change_email"}
REFUSED = "Not for your role"
ROLES = ("viewer", "editor", "owner")


def _admin_rules(app):
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/admin") and rule.endpoint not in PUBLIC_ADMIN:
            yield rule


def _fill(rule):
    return re.sub(r"<(?:(\w+):)?(\w+)>", lambda m: "1" if m.group(1) == "int" else "x", rule.rule)


def test_every_admin_route_redirects_to_login(app, client):
    rules = list(_admin_rules(app))
    assert len(rules) > 10
    # A valid CSRF token, so that POSTs reach the gate instead of stopping at CSRF.
    token = web.csrf_token(client.get("/admin/login").text)
    for rule in rules:
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            data = None if method == "GET" else {"csrf_token": token}
            response = client.open(_fill(rule), method=method, data=data)
            assert response.status_code == 302, (rule.rule, method, response.status_code)
            assert "/admin/login" in response.headers["Location"], (rule.rule, method)


def test_login_pages_stay_reachable(client):
    for url in ("/admin/login", "/admin/forgot-password"):
        assert client.get(url).status_code == 200


def test_wrong_password_and_unknown_address_get_the_same_answer(client, admin):
    wrong = web.submit(client, "/admin/login", {"email": admin.email, "password": "nope-nope-nope"})
    unknown = web.submit(client, "/admin/login", {"email": "who@example.com", "password": "x" * 12})
    assert wrong.status_code == unknown.status_code == 200
    assert "do not match" in wrong.text and "do not match" in unknown.text


def test_login_then_logout(client, admin):
    web.login(client)
    assert client.get("/admin/").status_code == 200
    page = client.get("/admin/")
    client.post("/admin/logout", data={"csrf_token": web.csrf_token(page.text)})
    assert client.get("/admin/").status_code == 302


def test_login_rejects_offsite_next(client, admin):
    page = client.get("/admin/login?next=//evil.example/x")
    response = client.post("/admin/login?next=//evil.example/x", data={
        "csrf_token": web.csrf_token(page.text), "email": admin.email,
        "password": web.ADMIN_PASSWORD})
    assert response.headers["Location"] == "/admin/"


def test_login_without_csrf_token_is_refused(client, admin):
    response = client.post("/admin/login", data={"email": admin.email,
                                                 "password": web.ADMIN_PASSWORD})
    assert response.status_code == 400


def test_unknown_address_costs_one_password_check_like_a_wrong_password(client, admin,
                                                                       monkeypatch):
    """Today a wrong password took 106 ms and an unknown address 5 ms: both must run the
    same password-hash check once (checked by counting, not by timing)."""
    from statusmail.models import users
    calls = []
    real_check = users.check_password_hash

    def counting_check(stored, password):
        calls.append(stored.split("$", 1)[0])
        return real_check(stored, password)

    monkeypatch.setattr(users, "check_password_hash", counting_check)
    web.submit(client, "/admin/login", {"email": admin.email, "password": "nope-nope-nope"})
    web.submit(client, "/admin/login", {"email": "who@example.com", "password": "nope-nope-nope"})
    # One check each, with the same hashing method (the same cost).
    assert len(calls) == 2 and calls[0] == calls[1]


@pytest.mark.parametrize("path", ["/admin/rq/", "/admin/rq/0/view/workers"])
def test_rq_dashboard_needs_login(client, path):
    assert client.get(path).status_code == 302


def _expected_role(app, endpoint, method):
    if endpoint in EVERY_ROLE:
        return "viewer"
    if endpoint in OWNER_ONLY or endpoint.startswith(OWNER_ONLY_AREAS):
        return "owner"
    if method not in ("GET", "HEAD", "OPTIONS"):
        return "editor"
    # A page that is a form (GET and POST) opens for whoever may send the form.
    form_page = any({"GET", "POST"} <= rule.methods
                    for rule in app.url_map.iter_rules(endpoint))
    return "editor" if form_page else "viewer"


def test_the_owner_only_list_names_real_routes(app):
    """A renamed route would otherwise leave this list guarding nothing."""
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert OWNER_ONLY <= endpoints, OWNER_ONLY - endpoints
    assert any(endpoint.startswith("rq_dashboard.") for endpoint in endpoints)


def test_the_table_matches_the_expectations(app):
    for rule in _admin_rules(app):
        for method in sorted(rule.methods):
            with app.test_request_context():
                assert required_role(rule.endpoint, method) == \
                    _expected_role(app, rule.endpoint, method), (rule.endpoint, method)


def test_every_admin_route_by_every_role(app):
    """Each role signs in and sends every method to every admin route: refused with the
    role page exactly where the expectation says so, and let through everywhere else."""
    rules = [rule for rule in _admin_rules(app) if rule.endpoint != "admin.logout"]
    checked = {"refused": 0, "allowed": 0}
    for role in ROLES:
        email = f"{role}@example.com"
        web.create_admin(app, email=email, role=role)
        client = app.test_client()
        web.login(client, email)
        token = web.csrf_token(client.get("/admin/").text)
        for rule in rules:
            for method in sorted(rule.methods):
                data = None if method in ("GET", "HEAD", "OPTIONS") else {"csrf_token": token}
                # Same-origin, as a browser sends it: rq-dashboard refuses other POSTs.
                response = client.open(_fill(rule), method=method, data=data,
                                       headers={"Origin": "http://localhost"})
                where = (role, rule.rule, method, response.status_code)
                assert response.status_code != 302 or "/admin/login" not in \
                    response.headers["Location"], where
                should_refuse = ROLES.index(role) < ROLES.index(_expected_role(
                    app, rule.endpoint, method))
                refused = response.status_code == 403 and (
                    method == "HEAD" or REFUSED in response.text)
                assert refused == should_refuse, where
                checked["refused" if refused else "allowed"] += 1
                response.close()
        page = client.get("/admin/")
        assert client.post("/admin/logout", data={"csrf_token": web.csrf_token(page.text)}
                           ).status_code == 302
    assert checked["refused"] > 100 and checked["allowed"] > 100, checked


@pytest.mark.parametrize("role", ["viewer", "editor"])
def test_the_refusal_is_a_page_that_says_why(app, role):
    web.create_admin(app, email=f"{role}@example.com", role=role)
    client = app.test_client()
    web.login(client, f"{role}@example.com")
    page = client.get("/admin/api-tokens")
    assert page.status_code == 403
    assert REFUSED in page.text and "for <strong>owners</strong>" in page.text
    assert f"a <strong>{role}</strong>" in page.text and "ask an owner" in page.text
    assert client.get("/admin/rq/").status_code == 403
