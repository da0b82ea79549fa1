"""Admin → Maintenance: times in the operator's zone, stored in UTC; buttons."""
import re
from datetime import datetime

from tests.fanout.helpers import add_subscribers
from tests.status.support import HOUR
from tests.support.web import csrf_token, submit

STAGES_TICKED = {"notify": "y", "notify_scheduled": "y", "notify_reminder": "y",
                 "notify_started": "y", "notify_completed": "y"}
NOTIFY_CHECKED = re.compile(r'<input (?=[^>]*name="notify")(?=[^>]*checked)[^>]*>')


def _schedule(client, notify=True, **fields):
    form = {"title": "Database upgrade", "description": "Read-only for a while.",
            "starts_at": "2030-06-01T10:00", "ends_at": "2030-06-01T12:30", **fields}
    if notify:  # as the form comes, every stage ticked
        form.update(STAGES_TICKED)
    return submit(client, "/admin/maintenance/new", form, follow_redirects=True)


def test_times_entered_in_the_operator_zone_are_stored_in_utc(admin_client, data):
    data.settings(timezone="Europe/Berlin")
    database = data.component("Database")
    response = _schedule(admin_client, component_ids=str(database))
    assert "is scheduled" in response.text
    # Shown back in the operator's zone, with the zone named.
    assert "2030-06-01 10:00 CEST" in response.text and "2030-06-01 12:30 CEST" in response.text

    maintenance_id = data.only_id("Maintenance")
    row = data.get("Maintenance", maintenance_id)
    assert row.starts_at == datetime(2030, 6, 1, 8, 0)  # CEST is UTC+2
    assert row.ends_at == datetime(2030, 6, 1, 10, 30)
    assert [c.name for c in row.components] == ["Database"] and row.status == "scheduled"

    form_page = admin_client.get("/admin/maintenance/new").text
    assert "In Europe/Berlin" in form_page
    public = admin_client.get(f"/maintenance/{maintenance_id}").text
    assert "2030-06-01 10:00 CEST" in public and "Europe/Berlin" in public


def test_scheduling_notifies_when_asked(admin_client, data):
    data.notifications_on()
    _schedule(admin_client)
    _schedule(admin_client, notify=False, title="Quiet window")
    notices = data.notices()
    assert len(notices) == 1 and notices[0][0] == "maintenance_scheduled"
    assert data.get("Maintenance", notices[0][2]).title == "Database upgrade"
    page = admin_client.get(f"/admin/maintenance/{notices[0][2]}").text
    notice_id = data.only_id("Notification")
    assert (f'href="/admin/deliveries/{notice_id}#progress">Delivery progress'
            in page[page.index('id="notices"'):])


def test_end_before_start_is_refused(admin_client, data):
    response = _schedule(admin_client, ends_at="2030-06-01T09:00")
    assert "The end must be after the start." in response.text
    assert data.count("Maintenance") == 0


def test_start_in_the_past_is_refused(admin_client, data):
    response = _schedule(admin_client, starts_at="2020-01-01T10:00", ends_at="2020-01-01T11:00")
    assert "The start is in the past." in response.text
    assert data.count("Maintenance") == 0


def test_unreadable_time_is_refused(admin_client, data):
    response = _schedule(admin_client, starts_at="tomorrow")
    assert "Enter a date and time" in response.text
    assert data.count("Maintenance") == 0


def test_edit_keeps_utc_and_the_form_shows_local_times(admin_client, data):
    data.settings(timezone="America/New_York")
    _schedule(admin_client)
    maintenance_id = data.only_id("Maintenance")
    edit = f"/admin/maintenance/{maintenance_id}/edit"
    assert 'value="2030-06-01T10:00"' in admin_client.get(edit).text
    response = submit(admin_client, edit, {"title": "Bigger upgrade", "description": "",
                                           "starts_at": "2030-06-01T10:00",
                                           "ends_at": "2030-06-01T14:00"})
    assert response.status_code == 302
    row = data.get("Maintenance", maintenance_id)
    assert (row.title, row.ends_at, row.notify) == ("Bigger upgrade", datetime(2030, 6, 1, 18, 0),
                                                   False)


def test_start_now_then_complete_now(admin_client, data):
    data.notifications_on()
    database = data.component("Database")
    maintenance_id = data.maintenance("Upgrade", 2 * HOUR, HOUR, [database])
    page = f"/admin/maintenance/{maintenance_id}"

    response = submit(admin_client, page, {}, action=f"{page}/start", follow_redirects=True)
    assert "Maintenance started." in response.text
    assert data.statuses() == {"Database": "under_maintenance"}
    row = data.get("Maintenance", maintenance_id)
    assert row.status == "in_progress" and row.starts_at == row.started_at  # started early

    response = submit(admin_client, page, {}, action=f"{page}/complete", follow_redirects=True)
    assert "Maintenance completed." in response.text
    assert data.statuses() == {"Database": "operational"}
    assert [kind for kind, *_ in data.notices()] == ["maintenance_started",
                                                     "maintenance_completed"]


def _cancel(client, maintenance_id, notify=True):
    page = f"/admin/maintenance/{maintenance_id}"
    return submit(client, page, {"notify": "y"} if notify else {}, action=f"{page}/cancel",
                  follow_redirects=True)


def test_cancel_only_before_it_starts(admin_client, data):
    data.notifications_on()
    upcoming = data.maintenance("Upcoming", 2 * HOUR, HOUR)
    running = data.maintenance("Running", -HOUR, 2 * HOUR, status="in_progress")
    response = _cancel(admin_client, upcoming, notify=False)
    assert "Maintenance cancelled; subscribers were not notified." in response.text
    response = _cancel(admin_client, running)
    assert ("Only maintenance that has not started can be cancelled; this one is in progress."
            in response.text)
    assert data.get("Maintenance", upcoming).status == "cancelled"
    assert data.get("Maintenance", running).status == "in_progress"
    assert data.notices() == []


def test_cancelling_announces_once(admin_client, data):
    data.notifications_on()
    maintenance_id = data.maintenance("Upgrade", 2 * HOUR, HOUR)
    page = f"/admin/maintenance/{maintenance_id}"
    stale_page = admin_client.get(page).text
    assert "Tell subscribers it is cancelled" in stale_page
    assert NOTIFY_CHECKED.search(stale_page)  # on by default

    response = _cancel(admin_client, maintenance_id)
    assert "Maintenance cancelled; subscribers are being notified." in response.text
    # A second tab, still showing the scheduled window, cancels again.
    again = admin_client.post(f"{page}/cancel", data={"csrf_token": csrf_token(stale_page),
                                                      "notify": "y"}, follow_redirects=True)
    assert "this one is cancelled" in again.text
    assert data.notices() == [("maintenance_cancelled", None, maintenance_id, None)]
    assert data.get("Maintenance", maintenance_id).status == "cancelled"


def test_window_never_announced_is_cancelled_quietly(admin_client, data):
    data.notifications_on()
    maintenance_id = data.maintenance("Quiet", 2 * HOUR, HOUR, notify=False)
    page = admin_client.get(f"/admin/maintenance/{maintenance_id}").text
    assert "It was not announced, so cancelling it sends no mail." in page
    response = _cancel(admin_client, maintenance_id)  # even if a notify box is forged in
    assert "subscribers were not notified" in response.text
    assert data.get("Maintenance", maintenance_id).status == "cancelled"
    assert data.notices() == []


def test_cancelled_window_mails_who_follows_maintenance(admin_client, data, smtp, run_jobs):
    data.settings(timezone="Europe/Berlin", notifications_enabled=True,
                  status_page_name="Acme Status")
    add_subscribers(data.app, 1, prefix="told")
    add_subscribers(data.app, 1, prefix="nomaint", notify_maintenance=False)
    _schedule(admin_client)  # 10:00–12:30 in Berlin
    run_jobs()
    smtp.wait_for(1)

    _cancel(admin_client, data.only_id("Maintenance"))
    run_jobs()
    scheduled, cancelled = smtp.wait_for(2)
    assert scheduled.message["Subject"].startswith("[Acme Status] Scheduled maintenance")
    assert cancelled.to == "told0@example.org" and smtp.to("nomaint0@example.org") == []
    mail = cancelled.message
    assert mail["Subject"] == ("[Acme Status] Maintenance cancelled: Database upgrade "
                               "(2030-06-01 10:00 CEST)")
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    for body in (text, html):
        assert "Maintenance cancelled" in body
        assert "This maintenance is cancelled: it will not take place" in body
        assert "2030-06-01 10:00 CEST (2030-06-01 08:00 UTC)" in body
        assert "2030-06-01 12:30 CEST (2030-06-01 10:30 UTC)" in body
        assert "Europe/Berlin" in body
    assert "Times in Europe/Berlin." in text


def test_list_separates_upcoming_and_past(admin_client, data):
    data.maintenance("Next week", 100 * HOUR, HOUR)
    data.maintenance("Last week", -100 * HOUR, HOUR, status="completed")
    page = admin_client.get("/admin/maintenance").text
    upcoming, past = page.split("<h2>Past</h2>")
    assert "Next week" in upcoming and "Last week" in past


def test_running_window_can_be_extended(admin_client, data):
    database = data.component("Database")
    maintenance_id = data.maintenance("Upgrade", 2 * HOUR, HOUR, [database])
    page = f"/admin/maintenance/{maintenance_id}"
    submit(admin_client, page, {}, action=f"{page}/start")  # starts_at now has seconds
    edit = admin_client.get(f"{page}/edit").text
    assert "readonly" in edit
    shown_start = edit.split('name="starts_at"')[1].split('value="')[1].split('"')[0]
    response = submit(admin_client, f"{page}/edit", {
        "title": "Upgrade, longer", "starts_at": shown_start, "ends_at": "2031-01-01T00:00",
        "component_ids": str(database), "notify": "y"})
    assert response.status_code == 302, response.text
    row = data.get("Maintenance", maintenance_id)
    assert row.title == "Upgrade, longer" and row.ends_at == datetime(2031, 1, 1)
    assert row.starts_at == row.started_at and row.status == "in_progress"
