"""Moving a window subscribers know of tells them the old and the new times; nothing
else about an edit mails anyone. Mail is read from a real SMTP server."""
from tests.fanout.helpers import add_subscribers
from tests.status.support import HOUR
from tests.status.test_admin_maintenance import STAGES_TICKED
from tests.support.web import submit

EDIT_FORM = {"title": "Database upgrade", "description": "Read-only for a while.",
             "starts_at": "2030-06-01T10:00", "ends_at": "2030-06-01T12:30", **STAGES_TICKED}


def _schedule(client, **fields):
    response = submit(client, "/admin/maintenance/new", {**EDIT_FORM, **fields})
    assert response.status_code == 302, response.text
    return int(response.headers["Location"].rsplit("/", 1)[1])


def _edit(client, maintenance_id, **fields):
    page = f"/admin/maintenance/{maintenance_id}/edit"
    return submit(client, page, {**EDIT_FORM, **fields}, follow_redirects=True)


def _kinds(data):
    return [kind for kind, *_ in data.notices()]


def test_moving_an_announced_window_mails_old_and_new_times(admin_client, data, smtp,
                                                             run_jobs):
    data.settings(timezone="Europe/Berlin", notifications_enabled=True,
                  status_page_name="Acme Status")
    add_subscribers(data.app, 2)
    maintenance_id = _schedule(admin_client)
    response = _edit(admin_client, maintenance_id, starts_at="2030-06-02T21:15",
                     ends_at="2030-06-02T23:45")
    assert "subscribers are being told of the new time" in response.text
    run_jobs()
    received = smtp.wait_for(4)
    moved = [mail for mail in received if "rescheduled" in mail.message["Subject"]]
    assert sorted(mail.to for mail in moved) == ["user0@example.org", "user1@example.org"]
    mail = moved[0].message
    assert mail["Subject"] == ("[Acme Status] Maintenance rescheduled: Database upgrade "
                               "(now 2030-06-02 21:15 CEST)")
    assert mail["List-Id"] == "<statusmail.test>"
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    for body in (text, html):
        assert "This maintenance has moved to a new time." in body
        # The old window (as it was announced) and the new one, each in both zones.
        assert "2030-06-01 10:00 CEST (2030-06-01 08:00 UTC)" in body
        assert "2030-06-01 12:30 CEST (2030-06-01 10:30 UTC)" in body
        assert "2030-06-02 21:15 CEST (2030-06-02 19:15 UTC)" in body
        assert "2030-06-02 23:45 CEST (2030-06-02 21:45 UTC)" in body
    was, now = text.split("Now:")
    assert "2030-06-01 10:00 CEST" in was and "2030-06-02 21:15 CEST" in now
    assert "2030-06-01 10:00" not in now


def test_content_only_edits_send_nothing(admin_client, data):
    data.notifications_on()
    database = data.component("Database")
    maintenance_id = _schedule(admin_client)
    response = _edit(admin_client, maintenance_id, title="Bigger upgrade",
                     description="New words.", component_ids=str(database))
    assert "Maintenance saved." in response.text
    assert _kinds(data) == ["maintenance_scheduled"]


def test_notify_off_window_moves_silently(admin_client, data):
    data.notifications_on()
    maintenance_id = _schedule(admin_client, notify="")
    _edit(admin_client, maintenance_id, notify="", starts_at="2030-06-03T10:00",
          ends_at="2030-06-03T11:00")
    assert data.notices() == []
    assert str(data.get("Maintenance", maintenance_id).starts_at) == "2030-06-03 10:00:00"


def test_window_nobody_heard_of_moves_silently(admin_client, data):
    """Not announced when scheduled, no reminder yet: the reminder will carry the time."""
    data.notifications_on()
    unannounced = {**STAGES_TICKED, "notify_scheduled": ""}
    maintenance_id = _schedule(admin_client, **unannounced)
    _edit(admin_client, maintenance_id, **unannounced, starts_at="2030-06-03T10:00",
          ends_at="2030-06-03T11:00")
    assert data.notices() == []


def test_extending_a_running_window_sends_one_notice(admin_client, data):
    data.notifications_on()
    maintenance_id = data.maintenance("Upgrade", 2 * HOUR, HOUR)
    page = f"/admin/maintenance/{maintenance_id}"
    submit(admin_client, page, {}, action=f"{page}/start")
    edit = admin_client.get(f"{page}/edit").text
    shown_start = edit.split('name="starts_at"')[1].split('value="')[1].split('"')[0]
    response = _edit(admin_client, maintenance_id, title="Upgrade", starts_at=shown_start,
                     ends_at="2031-01-01T00:00")
    assert "told of the new time" in response.text
    _edit(admin_client, maintenance_id, title="Upgrade, longer", starts_at=shown_start,
          ends_at="2031-01-01T00:00")  # the same times again: content only
    assert _kinds(data) == ["maintenance_started", "maintenance_rescheduled"]


def test_completing_sends_only_completed_and_completed_windows_cannot_change(admin_client,
                                                                            data):
    data.notifications_on()
    maintenance_id = data.maintenance("Upgrade", 2 * HOUR, 5 * HOUR)
    page = f"/admin/maintenance/{maintenance_id}"
    submit(admin_client, page, {}, action=f"{page}/start")
    submit(admin_client, page, {}, action=f"{page}/complete")  # early: the end moves to now
    response = admin_client.get(f"{page}/edit", follow_redirects=True)
    assert "it can no longer be changed" in response.text
    assert _kinds(data) == ["maintenance_started", "maintenance_completed"]
