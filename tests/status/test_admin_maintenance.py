"""Admin → Maintenance: times in the operator's zone, stored in UTC; buttons."""
from datetime import datetime

from tests.status.support import HOUR
from tests.support.web import submit


def _schedule(client, notify=True, **fields):
    form = {"title": "Database upgrade", "description": "Read-only for a while.",
            "starts_at": "2030-06-01T10:00", "ends_at": "2030-06-01T12:30", **fields}
    if notify:
        form["notify"] = "y"
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


def test_cancel_only_before_it_starts(admin_client, data):
    upcoming = data.maintenance("Upcoming", 2 * HOUR, HOUR)
    running = data.maintenance("Running", -HOUR, 2 * HOUR, status="in_progress")
    response = submit(admin_client, f"/admin/maintenance/{upcoming}", {},
                      action=f"/admin/maintenance/{upcoming}/cancel", follow_redirects=True)
    assert "Maintenance cancelled." in response.text
    response = submit(admin_client, f"/admin/maintenance/{running}", {},
                      action=f"/admin/maintenance/{running}/cancel", follow_redirects=True)
    assert "Only maintenance that has not started can be cancelled" in response.text
    assert data.get("Maintenance", upcoming).status == "cancelled"
    assert data.get("Maintenance", running).status == "in_progress"


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
