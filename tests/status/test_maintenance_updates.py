"""Updates during a window, and the per-stage switches (defaults from the settings)."""
from tests.fanout.helpers import add_subscribers
from tests.status.support import HOUR
from tests.status.test_admin_maintenance import STAGES_TICKED
from tests.support.web import submit


def _post_update(client, maintenance_id, message, notify=True):
    page = f"/admin/maintenance/{maintenance_id}"
    form = {"message": message, **({"notify": "y"} if notify else {})}
    return submit(client, page, form, action=f"{page}/updates", follow_redirects=True)


def test_update_during_a_window_mails_and_shows_on_the_status_page(admin_client, data, smtp,
                                                                  run_jobs):
    data.settings(notifications_enabled=True, status_page_name="Acme Status")
    add_subscribers(data.app, 1)
    maintenance_id = data.maintenance("Upgrade", -HOUR, 3 * HOUR, status="in_progress")
    response = _post_update(admin_client, maintenance_id,
                            "The work is taking longer <than planned>.")
    assert "Update posted; subscribers are being notified." in response.text
    _post_update(admin_client, maintenance_id, "Verifying.", notify=False)
    run_jobs()
    (received,) = smtp.wait_for(1)
    mail = received.message
    assert mail["Subject"] == "[Acme Status] Maintenance update: Upgrade"
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    assert "The work is taking longer <than planned>." in text
    assert "The work is taking longer &lt;than planned&gt;." in html
    assert "Maintenance update - in progress" in text
    public = admin_client.get(f"/maintenance/{maintenance_id}").text
    assert public.index("Verifying.") < public.index("taking longer")  # newest first
    assert [kind for kind, *_ in data.notices()] == ["maintenance_updated"]


def test_updates_are_refused_when_empty_or_after_the_window(admin_client, data):
    maintenance_id = data.maintenance("Upgrade", -3 * HOUR, HOUR, status="completed")
    response = _post_update(admin_client, maintenance_id, "Late news")
    assert "updates are for windows still to come or in progress" in response.text
    running_id = data.maintenance("Running", -HOUR, 3 * HOUR, status="in_progress")
    page = f"/admin/maintenance/{running_id}"
    response = submit(admin_client, page, {"message": " "}, action=f"{page}/updates")
    assert response.status_code == 422 and "Write the update" in response.text
    assert data.count("MaintenanceUpdate") == 0 and data.notices() == []


def test_stage_switches_decide_which_stages_mail(admin_client, data):
    from statusmail.services.maintenance import advance_maintenance
    data.notifications_on()
    response = submit(admin_client, "/admin/maintenance/new", {
        "title": "Quiet start", "description": "", "starts_at": "2030-06-01T10:00",
        "ends_at": "2030-06-01T11:00", **STAGES_TICKED, "notify_started": ""})
    assert response.status_code == 302
    maintenance_id = data.only_id("Maintenance")
    row = data.get("Maintenance", maintenance_id)
    with data.app.app_context():
        advance_maintenance(row.ends_at)  # starts and completes it
    assert [kind for kind, *_ in data.notices()] == ["maintenance_scheduled",
                                                     "maintenance_completed"]


def test_new_windows_take_their_switches_from_the_settings(admin_client, data):
    data.settings(notifications_enabled=True, maintenance_notify_scheduled=False,
                  maintenance_notify_completed=False, maintenance_reminder_minutes=45)
    form = admin_client.get("/admin/maintenance/new").text
    ticked = {name for name in ("notify_scheduled", "notify_reminder", "notify_started",
                                "notify_completed")
              if f'name="{name}" type="checkbox" value="y" checked' in form
              or f'checked id="{name}" name="{name}"' in form}
    assert ticked == {"notify_reminder", "notify_started"}, form
    assert 'name="reminder_minutes"' in form and 'value="45"' in form
