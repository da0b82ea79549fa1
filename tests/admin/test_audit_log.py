"""The security event log: sign-ins, failures, resets, logouts and the admin actions that
change settings or delete data, in a table, in the ``statusmail.audit`` logger, and on
a paginated admin page."""
import logging
import re
from datetime import timedelta

from statusmail.extensions import db
from statusmail.models import (
    CapturedMail, Component, Notification, AuditEvent, SiteSettings, Subscriber, utcnow,
)
from statusmail.services.retention import prune_expired_rows
from statusmail.services import audit
from tests.mail.support import save_settings
from tests.support import web
from tests.support.sql import counting_statements

WRONG = "Hunter2-not-it-Zebra"


def events(app):
    with app.app_context():
        return [(e.kind, e.actor_email, e.client_ip, e.detail)
                for e in AuditEvent.query.order_by(AuditEvent.id)]


def test_sign_in_failure_success_and_logout_are_logged(app, client, admin, caplog):
    caplog.set_level(logging.INFO, logger="statusmail.audit")
    web.submit(client, "/admin/login", {"email": admin.email, "password": WRONG})
    web.submit(client, "/admin/login", {"email": WRONG, "password": WRONG})  # typed in the wrong box
    web.login(client)
    page = client.get("/admin/")
    client.post("/admin/logout", data={"csrf_token": web.csrf_token(page.text)})
    logged = events(app)
    assert [kind for kind, *_ in logged] == ["login_failed", "login_failed", "login_succeeded",
                                             "logout"]
    assert [email for _, email, *_ in logged] == [admin.email, None, admin.email, admin.email]
    assert {ip for _, _, ip, _ in logged} == {"127.0.0.1"}
    security_lines = [r.getMessage() for r in caplog.records if r.name == "statusmail.audit"]
    assert len(security_lines) == 4 and security_lines[2].startswith("login_succeeded")
    assert WRONG not in repr(logged) and WRONG not in " ".join(security_lines)


def test_admin_actions_that_change_settings_or_delete_data_are_logged(app, admin_client):
    with app.app_context():
        component = Component(name="Search")
        subscriber = Subscriber(email="gone@example.com", status="confirmed", source="widget")
        notification = Notification(kind="incident_created", subject="x", state="sending")
        db.session.add_all([component, subscriber, notification,
                            CapturedMail(sender="s@example.com", recipient="a@example.com",
                                         subject="s", raw=b"x")])
        db.session.commit()
        ids = component.id, subscriber.id, notification.id
    save_settings(admin_client)
    web.submit(admin_client, "/admin/", {"enabled": "on"}, action="/admin/features/notifications")
    created = web.submit(admin_client, "/admin/api-tokens", {"name": "deploy"},
                         action="/admin/api-tokens/new")
    token_id = int(re.search(r"/admin/api-tokens/(\d+)/revoke", admin_client.get(
        "/admin/api-tokens").text).group(1))
    assert created.status_code == 200
    web.submit(admin_client, "/admin/api-tokens", {}, action=f"/admin/api-tokens/{token_id}/revoke")
    web.submit(admin_client, f"/admin/components/{ids[0]}", {},
               action=f"/admin/components/{ids[0]}/delete")
    web.submit(admin_client, f"/admin/subscribers/{ids[1]}/remove", {})
    web.submit(admin_client, f"/admin/deliveries/{ids[2]}", {},
               action=f"/admin/deliveries/{ids[2]}/cancel")
    web.submit(admin_client, "/admin/captured", {}, action="/admin/captured/delete-all")
    logged = events(app)[1:]  # after the sign-in
    assert [kind for kind, *_ in logged] == [
        "email_settings_saved", "notifications_switched", "api_token_created",
        "api_token_revoked", "component_deleted", "subscriber_removed",
        "notification_cancelled", "captured_mail_deleted"]
    assert {email for _, email, *_ in logged} == {web.ADMIN_EMAIL}
    details = {kind: detail for kind, _, _, detail in logged}
    assert details["component_deleted"] == {"component_id": ids[0], "name": "Search"}
    assert details["api_token_created"] == {"token_id": token_id, "name": "deploy"}
    assert details["captured_mail_deleted"] == {"count": 1}
    with app.app_context():
        assert SiteSettings.get().notifications_enabled


def test_the_log_page_is_newest_first_keyset_paginated_and_flat(app, admin_client):
    with app.app_context():
        db.session.add_all(AuditEvent(kind="login_failed", actor_email=f"n{n}@example.com",
                                         client_ip="192.0.2.1", detail={"n": n})
                           for n in range(120))
        db.session.commit()
    first = admin_client.get("/admin/audit-log")
    assert first.status_code == 200 and 'href="/admin/audit-log"' in first.text  # in the nav
    shown = re.findall(r"n(\d+)@example\.com", first.text)
    assert shown == [str(n) for n in range(119, 69, -1)]
    older = re.search(r'href="(/admin/audit-log\?before=\d+)"', first.text).group(1)
    second = admin_client.get(older)
    assert re.findall(r"n(\d+)@example\.com", second.text) == [str(n) for n in range(69, 19, -1)]
    last = admin_client.get(re.search(r'href="(/admin/audit-log\?before=\d+)"',
                                      second.text).group(1))
    assert len(re.findall(r"n(\d+)@example\.com", last.text)) == 20
    assert "before=" not in last.text
    with counting_statements(app) as big:
        admin_client.get(older)
    with app.app_context():
        db.session.query(AuditEvent).filter(AuditEvent.id > 5).delete()
        db.session.commit()
    with counting_statements(app) as small:
        admin_client.get("/admin/audit-log?before=5")
    assert big == small


def test_nonsense_page_markers_show_the_newest(app, admin_client):
    for marker in ("9" * 40, "-3", "x", "0"):
        assert admin_client.get(f"/admin/audit-log?before={marker}").status_code == 200


def test_the_log_refuses_secrets_in_its_detail(app):
    with app.app_context():
        try:
            audit.record("login_failed", password="x")
        except ValueError as exc:
            assert "password" in str(exc)
        else:
            raise AssertionError("a password was accepted into the security log")
        assert AuditEvent.query.count() == 0


def test_old_entries_go_with_their_own_retention_setting(app):
    with app.app_context():
        settings = SiteSettings.get()
        assert settings.audit_retention_days == 365
        settings.delivery_retention_days = 0  # keep deliveries for ever: the log still goes
        settings.audit_retention_days = 30
        db.session.add_all([AuditEvent(kind="logout", detail={},
                                       created_at=utcnow() - timedelta(days=31)),
                            AuditEvent(kind="logout", detail={},
                                       created_at=utcnow() - timedelta(days=29))])
        db.session.commit()
        assert prune_expired_rows() == {"audit_events": 1}
        assert AuditEvent.query.count() == 1
        SiteSettings.get().audit_retention_days = 0
        db.session.commit()
        assert prune_expired_rows() == {}
        assert AuditEvent.query.count() == 1
