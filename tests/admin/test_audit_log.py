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
    shown = re.findall(r"n(\d+)@example\.com</a>", first.text)
    assert shown == [str(n) for n in range(119, 69, -1)]
    older = re.search(r'href="(/admin/audit-log\?after=\d+)" rel="next"', first.text).group(1)
    second = admin_client.get(older)
    assert re.findall(r"n(\d+)@example\.com</a>", second.text) == [
        str(n) for n in range(69, 19, -1)]
    last = admin_client.get(re.search(r'href="(/admin/audit-log\?after=\d+)" rel="next"',
                                      second.text).group(1))
    assert len(re.findall(r"n(\d+)@example\.com</a>", last.text)) == 20
    assert 'rel="next"' not in last.text
    newer = re.search(r'href="(/admin/audit-log\?before=\d+)" rel="prev"', last.text).group(1)
    assert re.findall(r"n(\d+)@example\.com</a>", admin_client.get(newer).text) == [
        str(n) for n in range(69, 19, -1)]
    with counting_statements(app) as big:
        admin_client.get(older)
    with app.app_context():
        db.session.query(AuditEvent).filter(AuditEvent.id > 5).delete()
        db.session.commit()
    with counting_statements(app) as small:
        admin_client.get("/admin/audit-log?after=5")
    assert big == small


def test_nonsense_page_markers_and_filters_show_the_newest(app, admin_client):
    for query in ("after=" + "9" * 40, "before=-3", "after=x", "after=0", "since=x",
                  "until=0001-01-01", "since=2024-05-02&until=2024-05-01", "kind=nonsense",
                  "actor=" + "x" * 300, "actor=%E2%80%AEx", "since=9999-12-31"):
        response = admin_client.get(f"/admin/audit-log?{query}")
        assert response.status_code == 200, query


def _entries(app, *rows):
    with app.app_context():
        db.session.add_all(AuditEvent(detail={}, **row) for row in rows)
        db.session.commit()


def test_filters_by_actor_kind_and_days_in_the_operators_zone(app, admin_client):
    with app.app_context():
        SiteSettings.get().timezone = "Europe/Berlin"
        db.session.commit()
    from datetime import datetime
    _entries(app,
             {"kind": "login_failed", "actor_email": "ann@example.com", "summary": "A1",
              "created_at": datetime(2024, 5, 1, 21, 30)},  # 23:30 on 1 May in Berlin
             {"kind": "incident_created", "actor_email": "ann@example.com", "summary": "A2",
              "created_at": datetime(2024, 5, 1, 22, 30)},  # 00:30 on 2 May in Berlin
             {"kind": "incident_created", "actor_token": "deploy-bot", "summary": "T1",
              "created_at": datetime(2024, 5, 3, 12, 0)},
             {"kind": "notification_paused", "summary": "S1",
              "created_at": datetime(2024, 5, 4, 12, 0)})

    def summaries(query):
        page = admin_client.get("/admin/audit-log?" + query)
        assert page.status_code == 200
        return re.findall(r"<td>([AST]\d)", page.text)

    assert summaries("") == ["S1", "T1", "A2", "A1"]
    assert summaries("actor=ANN@example.com") == ["A2", "A1"]
    assert summaries("actor=deploy-bot") == ["T1"]
    assert summaries("actor=system") == ["S1"]
    assert summaries("kind=incident_created") == ["T1", "A2"]
    assert summaries("since=2024-05-02") == ["S1", "T1", "A2"]
    assert summaries("until=2024-05-01") == ["A1"]
    assert summaries("since=2024-05-02&until=2024-05-03&kind=incident_created") == ["T1", "A2"]
    assert summaries("actor=nobody@example.com") == []
    page = admin_client.get("/admin/audit-log?since=2024-05-03&until=2024-05-01")
    assert "“Until” comes before “From”." in page.text
    # The filters survive paging and the export form carries them.
    page = admin_client.get("/admin/audit-log?kind=incident_created&actor=deploy-bot")
    assert '<input type="hidden" name="kind" value="incident_created">' in page.text
    assert '<input type="hidden" name="actor" value="deploy-bot">' in page.text


def _export(client, data):
    page = client.get("/admin/audit-log")
    return client.post("/admin/audit-log/export",
                       data={"csrf_token": web.csrf_token(page.text), **data})


def test_the_csv_export_streams_the_filtered_set_safe_for_spreadsheets(app, admin_client,
                                                                       monkeypatch):
    import csv
    import io
    from statusmail.services import audit_log
    monkeypatch.setattr(audit_log, "EXPORT_CHUNK", 2)  # several chunks, read by keyset
    _entries(app, *({"kind": "incident_created", "actor_token": "=cmd|' /C calc'!A0",
                     "summary": f"=HYPERLINK(\"http://evil.example/{n}\")",
                     "client_ip": "192.0.2.7"} for n in range(5)),
             {"kind": "logout", "actor_email": "ann@example.com", "summary": "left"})
    response = _export(admin_client, {"kind": "incident_created"})
    assert response.status_code == 200 and response.is_streamed
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith(
        'attachment; filename="audit-log-')
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0] == list(audit_log.EXPORT_COLUMNS)
    assert len(rows) == 6
    assert [row[6] for row in rows[1:]] == [
        f"'=HYPERLINK(\"http://evil.example/{n}\")" for n in range(4, -1, -1)]
    assert {row[3] for row in rows[1:]} == {"'=cmd|' /C calc'!A0"}
    assert {row[4] for row in rows[1:]} == {"api"} and {row[2] for row in rows[1:]} == {
        "incident_created"}
    with app.app_context():
        exported = AuditEvent.query.filter_by(kind="audit_log_exported").one()
        assert exported.actor_email == web.ADMIN_EMAIL
        assert exported.detail == {"kind": "incident_created"}
    everything = list(csv.reader(io.StringIO(
        _export(admin_client, {}).get_data(as_text=True))))
    assert [row[2] for row in everything[1:4]] == [
        "audit_log_exported", "audit_log_exported", "logout"]
    anns = list(csv.reader(io.StringIO(
        _export(admin_client, {"actor": "ann@example.com"}).get_data(as_text=True))))
    assert [(row[2], row[3], row[4], row[6]) for row in anns[1:]] == [
        ("logout", "ann@example.com", "admin", "left")]
    with app.app_context():
        last = AuditEvent.query.order_by(AuditEvent.id.desc()).first()
        assert (last.kind, last.detail) == ("audit_log_exported", {"actor": "ann@example.com"})


def test_the_export_needs_its_csrf_token(app, admin_client):
    response = admin_client.post("/admin/audit-log/export", data={})
    assert response.status_code in (302, 400)
    assert not response.mimetype == "text/csv"
    with app.app_context():
        assert AuditEvent.query.filter_by(kind="audit_log_exported").count() == 0


def test_the_retention_is_a_setting_on_the_page(app, admin_client):
    page = admin_client.get("/admin/audit-log")
    assert 'name="audit_retention_days"' in page.text and 'value="365"' in page.text
    token = web.csrf_token(page.text)
    refused = admin_client.post("/admin/audit-log/settings",
                                data={"csrf_token": token, "audit_retention_days": "99999"})
    assert refused.status_code == 422 and "between 0 and 3650" in refused.text
    blank = admin_client.post("/admin/audit-log/settings",
                              data={"csrf_token": token, "audit_retention_days": ""})
    assert blank.status_code == 422 and "0 keeps the log for ever" in blank.text
    saved = admin_client.post("/admin/audit-log/settings",
                              data={"csrf_token": token, "audit_retention_days": "30"})
    assert saved.status_code == 302
    with app.app_context():
        assert SiteSettings.get().audit_retention_days == 30
        entry = AuditEvent.query.filter_by(kind="audit_settings_saved").one()
        assert entry.detail == {"changed": ["audit_retention_days"], "retention_days": 30}


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


def test_hostile_posts_get_an_answer_not_an_error(app, admin_client):
    token = web.csrf_token(admin_client.get("/admin/audit-log").text)
    for data in ({"since": "x", "until": "-1", "actor": "a" * 5000, "kind": "\u202e"},
                 {"since": "0001-01-01", "until": "9999-12-31"}, {"actor": ["a", "b"]}):
        response = admin_client.post("/admin/audit-log/export", data={"csrf_token": token, **data})
        assert response.status_code == 200 and response.mimetype == "text/csv"
        response.get_data()
    for days in ("-1", "1e9", "9" * 40, "x", " ", "3651"):
        response = admin_client.post("/admin/audit-log/settings",
                                     data={"csrf_token": token, "audit_retention_days": days})
        assert response.status_code == 422, days
