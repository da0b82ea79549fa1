"""Nothing an operator or an API token changes escapes the audit log: the URL map is
walked, every admin POST and every non-GET API route must say which audit kinds it
records (or why it records none), and a sample of them is performed for real."""
import re

import pytest

from statusmail.extensions import db
from statusmail.models import AuditEvent, Notification
from statusmail.services.audit_log import LABELS
from tests.api.conftest import ApiClient, make_token
from tests.status.support import HOUR, StatusData
from tests.support import web

RECORDS = {
    "admin.login": {"login_succeeded", "login_failed", "login_throttled"},
    "admin.logout": {"logout"},
    "admin.forgot_password": {"password_reset_requested", "password_reset_throttled"},
    "admin.reset_password": {"password_reset_completed"},
    "admin.change_password": {"password_changed", "login_failed", "login_throttled"},
    "admin.email_settings": {"email_settings_saved"},
    "admin.email_settings_try": {"email_settings_tried"},
    "admin.test_send": {"test_mail_sent"},
    "admin.toggle_notifications": {"notifications_switched"},
    "admin.audit_log_export": {"audit_log_exported"},
    "admin.audit_log_settings": {"audit_settings_saved"},
    "admin.subscriber_remove": {"subscriber_removed"},
    "admin.subscriber_invalidate_links": {"subscriber_links_invalidated"},
    "admin.subscriber_resend_confirmation": {"subscriber_confirmation_resent"},
    "admin.subscribers_export": {"subscribers_exported"},
    "admin.subscribers_import": {"subscribers_imported"},
    "admin.new_component": {"component_created"},
    "admin.edit_component": {"component_edited"},
    "admin.change_component_status": {"component_status_changed"},
    "admin.delete_component": {"component_deleted"},
    "admin.new_incident": {"incident_created", "incident_drafted"},
    "admin.edit_incident": {"incident_edited"},
    "admin.post_incident_update": {"incident_updated", "incident_resolved"},
    "admin.resolve_incident": {"incident_resolved"},
    "admin.publish_incident": {"incident_published"},
    "admin.discard_incident_draft": {"incident_draft_discarded"},
    "admin.backfill_incident": {"incident_backfilled"},
    "admin.new_incident_template": {"incident_template_saved"},
    "admin.edit_incident_template": {"incident_template_saved"},
    "admin.delete_incident_template": {"incident_template_deleted"},
    "admin.new_maintenance": {"maintenance_scheduled"},
    "admin.edit_maintenance": {"maintenance_edited"},
    "admin.post_maintenance_update": {"maintenance_updated"},
    "admin.start_maintenance": {"maintenance_started"},
    "admin.complete_maintenance": {"maintenance_completed"},
    "admin.cancel_maintenance": {"maintenance_cancelled"},
    "admin.notification_action": {"notification_paused", "notification_resumed",
                                  "notification_cancelled", "notification_retried"},
    "admin.create_token": {"api_token_created"},
    "admin.revoke_token": {"api_token_revoked"},
    "admin.captured_delete_all": {"captured_mail_deleted"},
    "admin.suppression_add": {"suppression_added"},
    "admin.suppression_detail": {"suppression_lifted"},
    "admin.event_webhook": {"event_webhook_key_changed"},
    "admin.dkim_generate": {"dkim_key_generated"},
    "admin.dkim_paste": {"dkim_key_pasted"},
    "admin.dkim_enable": {"dkim_key_enabled", "dkim_key_disabled"},
    "admin.dkim_disable": {"dkim_key_disabled"},
    "admin.dkim_delete": {"dkim_key_deleted"},
    "admin.save_mail_branding": {"mail_branding_saved"},
    "admin.edit_mail_template": {"mail_template_saved"},
    "rq_dashboard.compact_queue": {"queue_action"},
    "rq_dashboard.delete_job_view": {"queue_action"},
    "rq_dashboard.empty_queue": {"queue_action"},
    "rq_dashboard.requeue_all": {"queue_action"},
    "rq_dashboard.requeue_job_view": {"queue_action"},
    "api.patch_component": {"component_status_changed"},
    "api.create_incident": {"incident_created", "incident_drafted"},
    "api.backfill_incident": {"incident_backfilled"},
    "api.publish_incident": {"incident_published"},
    "api.patch_incident": {"incident_edited"},
    "api.post_incident_update": {"incident_updated", "incident_resolved"},
    "api.resolve_incident": {"incident_resolved"},
    "api.create_maintenance": {"maintenance_scheduled"},
    "api.patch_maintenance": {"maintenance_edited"},
    "api.post_maintenance_update": {"maintenance_updated"},
    "api.cancel_maintenance": {"maintenance_cancelled"},
    "admin.subscriber_add": {"subscriber_added"},
    "admin.subscriber_mark_confirmed": {"subscriber_marked_confirmed"},
    "api.create_subscriber": {"subscriber_added"},
    "api.delete_subscriber": {"subscriber_removed"},
    "api.discard_incident_draft": {"incident_draft_discarded"},
    "api.create_incident_template": {"incident_template_saved"},
    "api.patch_incident_template": {"incident_template_saved"},
    "api.delete_incident_template": {"incident_template_deleted"},
    "admin.change_email": {"email_changed", "login_failed", "login_throttled"},
    "admin.users_invite": {"invitation_sent"},
    "admin.users_resend_invitation": {"invitation_resent"},
    "admin.users_revoke_invitation": {"invitation_revoked"},
    "admin.accept_invitation": {"invitation_accepted"},
    "admin.users_set_role": {"role_changed"},
    "admin.users_deactivate": {"user_deactivated"},
    "admin.users_reactivate": {"user_reactivated"},
}
# POSTs that change nothing, and why.
EXEMPT = {
    "admin.markdown_preview": "renders the editor's Markdown to HTML for its preview; "
                              "stores nothing",
}


def _changing_rules(app):
    for rule in app.url_map.iter_rules():
        if rule.methods - {"GET", "HEAD", "OPTIONS"} or (
                rule.endpoint.startswith("rq_dashboard.") and rule.endpoint in RECORDS):
            if rule.rule.startswith(("/admin", "/api")):
                yield rule


def test_every_state_changing_route_says_what_it_records(app):
    endpoints = {rule.endpoint for rule in _changing_rules(app)}
    unaccounted = endpoints - set(RECORDS) - set(EXEMPT)
    assert unaccounted == set(), f"routes that change state without an audit kind: {unaccounted}"
    assert set(RECORDS) & set(EXEMPT) == set()
    assert set(RECORDS) | set(EXEMPT) <= endpoints, "listed routes that no longer exist"
    unnamed = set().union(*RECORDS.values()) - set(LABELS)
    assert unnamed == set(), f"kinds the audit page has no words for: {unnamed}"


def _entries(app, since=0):
    with app.app_context():
        return [(e.kind, e.actor_email, e.actor_token, e.client_ip, e.detail)
                for e in AuditEvent.query.filter(AuditEvent.id > since).order_by(AuditEvent.id)]


def _last_id(app):
    with app.app_context():
        return db.session.scalar(db.select(db.func.max(AuditEvent.id))) or 0


def test_a_sample_of_admin_actions_is_recorded_with_who_and_what_changed(app, admin_client):
    data = StatusData(app)
    start = _last_id(app)
    web.submit(admin_client, "/admin/components/new",
               {"name": "API", "position": "2", "status": "operational"})
    component = data.component_id("API")
    page = f"/admin/components/{component}"
    web.submit(admin_client, page, {"name": "Public API", "group_name": "", "description": "",
                                    "position": "2"})
    web.submit(admin_client, page, {"status": "major_outage"}, action=f"{page}/status")
    web.submit(admin_client, "/admin/incidents/new", {
        "title": "Slow pages", "impact": "minor", "status": "investigating",
        "message": "Looking.", f"component_{component}": "degraded_performance"})
    with app.app_context():
        from statusmail.models import Incident
        incident = Incident.query.one().id
    web.submit(admin_client, f"/admin/incidents/{incident}",
               {"status": "resolved", "message": "Fixed."},
               action=f"/admin/incidents/{incident}/updates")
    window = data.maintenance("Upgrade", 2 * HOUR, HOUR, [component])
    page = f"/admin/maintenance/{window}"
    web.submit(admin_client, page, {}, action=f"{page}/start")
    web.submit(admin_client, page, {}, action=f"{page}/complete")
    web.submit(admin_client, "/admin/", {"enabled": "on"}, action="/admin/features/notifications")
    entries = _entries(app, start)
    assert [kind for kind, *_ in entries] == [
        "component_created", "component_edited", "component_status_changed",
        "incident_created", "incident_resolved", "maintenance_started",
        "maintenance_completed", "notifications_switched"]
    assert {(email, token, ip) for _, email, token, ip, _ in entries} == {
        (web.ADMIN_EMAIL, None, "127.0.0.1")}
    details = dict((kind, detail) for kind, *_, detail in entries)
    assert details["component_edited"] == {"component_id": component, "changed": ["name"]}
    assert details["component_status_changed"]["previous_status"] == "operational"
    assert details["incident_created"]["component_ids"] == [component]


def test_notice_controls_are_recorded(app, admin_client):
    with app.app_context():
        notification = Notification(kind="incident_created", subject="x", state="sending")
        db.session.add(notification)
        db.session.commit()
        notification_id = notification.id
    start = _last_id(app)
    page = f"/admin/deliveries/{notification_id}"
    for action in ("pause", "resume", "cancel"):
        web.submit(admin_client, page, {}, action=f"{page}/{action}")
    assert [(kind, detail) for kind, *_, detail in _entries(app, start)] == [
        ("notification_paused", {"notification_id": notification_id, "by": "operator"}),
        ("notification_resumed", {"notification_id": notification_id}),
        ("notification_cancelled", {"notification_id": notification_id})]


def test_team_changes_are_recorded(app, admin_client):
    start = _last_id(app)
    web.submit(admin_client, "/admin/users", {"email": "new@example.com", "role": "viewer"},
               action="/admin/users/invite")
    second = web.create_admin(app, email="second@example.com", role="editor")
    web.submit(admin_client, "/admin/users", {"role": "viewer"},
               action=f"/admin/users/{second.id}/role")
    web.submit(admin_client, "/admin/users", {}, action=f"/admin/users/{second.id}/deactivate")
    entries = _entries(app, start)
    assert [kind for kind, *_ in entries] == ["invitation_sent", "role_changed",
                                               "user_deactivated"]
    assert {email for _, email, *_ in entries} == {web.ADMIN_EMAIL}
    details = [detail for *_, detail in entries]
    assert details[0]["email"] == "new@example.com" and details[0]["role"] == "viewer"
    assert (details[1]["old_role"], details[1]["role"]) == ("editor", "viewer")


def test_the_queues_dashboard_actions_are_recorded(app, admin_client):
    start = _last_id(app)
    response = admin_client.post("/admin/rq/queue/fanout/compact",
                                 headers={"Origin": "http://localhost"})
    assert response.status_code == 200
    [(kind, email, _, _, detail)] = _entries(app, start)
    assert (kind, email, detail) == ("queue_action", web.ADMIN_EMAIL,
                                     {"action": "compact_queue", "queue_name": "fanout"})


@pytest.fixture
def api_as_deploy_bot(app):
    token_id, plaintext = make_token(app, name="deploy-bot")
    return ApiClient(app.test_client(), plaintext)


def test_api_calls_that_change_state_are_recorded_with_the_tokens_name(app, api_as_deploy_bot):
    api = api_as_deploy_bot
    data = StatusData(app)
    component = data.component("Database")
    start = _last_id(app)
    assert api.get("/incidents").status_code == 200  # reading records nothing
    created = api.post("/incidents", {"title": "DB down", "impact": "major",
                                      "message": "Investigating.",
                                      "components": [{"id": component,
                                                      "status": "major_outage"}]})
    assert created.status_code == 201
    incident = created.json["incident"]["id"]
    assert api.patch(f"/incidents/{incident}", {"title": "Database down"}).status_code == 200
    assert api.post(f"/incidents/{incident}/resolve", {}).status_code == 200
    assert api.patch(f"/components/{component}", {"status": "degraded_performance"}
                     ).status_code == 200
    refused = api.post(f"/incidents/{incident}/resolve", {})  # already resolved: nothing done
    assert refused.status_code == 409
    entries = _entries(app, start)
    assert [kind for kind, *_ in entries] == [
        "incident_created", "incident_edited", "incident_resolved", "component_status_changed"]
    assert {(email, token, ip) for _, email, token, ip, _ in entries} == {
        (None, "deploy-bot", "127.0.0.1")}
    assert entries[1][4] == {"incident_id": incident, "changed": ["title"]}
    page = None
    with app.app_context():
        page = AuditEvent.query.filter_by(kind="incident_edited").one()
        assert page.actor_label == "API token “deploy-bot”"


def test_the_cli_records_as_system(app):
    result = app.test_cli_runner().invoke(args=["create-admin", "ops@example.com",
                                                "--password", "correct-horse-battery"])
    assert result.exit_code == 0, result.output
    [(kind, email, token, ip, detail)] = _entries(app)
    assert (kind, email, token, ip) == ("password_set_by_cli", None, None, None)
    assert detail["email"] == "ops@example.com" and detail["created"] is True
    assert not re.search("correct-horse", repr(detail))
