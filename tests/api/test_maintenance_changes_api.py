"""Maintenance over the API: moving a window (a rescheduled notice with both times),
stage switches and reminders, and updates during a window."""
from tests.fanout.helpers import add_subscribers
from tests.status.support import HOUR


def _create(api, **fields):
    body = {"title": "Database upgrade", "description": "Read-only.",
            "starts_at": "2030-06-01T22:00:00+02:00", "ends_at": "2030-06-01T23:30:00+02:00",
            **fields}
    response = api.post("/maintenances", body)
    assert response.status_code == 201, response.json
    return response.json["maintenance"]


def _kinds(data):
    return [kind for kind, *_ in data.notices()]


def test_patch_moving_the_window_sends_a_rescheduled_notice(api, data, smtp, run_jobs):
    data.settings(notifications_enabled=True, status_page_name="Acme Status")
    add_subscribers(data.app, 1)
    maintenance = _create(api)
    response = api.patch(f"/maintenances/{maintenance['id']}",
                         {"starts_at": "2030-06-02T20:00:00Z", "ends_at": "2030-06-02T22:00:00Z"})
    assert response.status_code == 200, response.json
    assert response.json["notification_id"] is not None
    assert response.json["maintenance"]["starts_at"] == "2030-06-02T20:00:00+00:00"
    run_jobs()
    (moved,) = [m for m in smtp.wait_for(2) if "rescheduled" in m.message["Subject"]]
    text = moved.message.get_body(("plain",)).get_content()
    assert "2030-06-01 20:00 UTC" in text.split("Now:")[0]  # the old start
    assert "2030-06-02 20:00 UTC" in text.split("Now:")[1]  # the new one
    assert moved.message["List-Id"] == "<statusmail.test>"


def test_patch_content_only_or_unchanged_times_send_nothing(api, data):
    data.notifications_on()
    maintenance = _create(api)
    response = api.patch(f"/maintenances/{maintenance['id']}",
                         {"title": "New title", "starts_at": "2030-06-01T20:00:00Z"})
    assert response.status_code == 200 and response.json["notification_id"] is None
    assert response.json["maintenance"]["title"] == "New title"
    assert _kinds(data) == ["maintenance_scheduled"]


def test_patch_refuses_finished_windows_and_bad_input(api, data):
    data.notifications_on()
    done = data.maintenance("Done", -3 * HOUR, HOUR, status="completed")
    response = api.patch(f"/maintenances/{done}", {"ends_at": "2030-06-02T22:00:00Z"})
    assert response.status_code == 409 and "can no longer be changed" in response.json["error"]
    maintenance = _create(api)
    path = f"/maintenances/{maintenance['id']}"
    for body, field in [({}, None), ({"reminder_minutes": -1}, "reminder_minutes"),
                        ({"reminder_minutes": 10 ** 30}, "reminder_minutes"),
                        ({"notify_started": "yes"}, "notify_started"),
                        ({"ends_at": "2030-06-01T19:00:00Z"}, "ends_at"),
                        ({"colour": "red"}, None)]:
        response = api.patch(path, body)
        assert response.status_code in (400, 422), (body, response.json)
        assert response.json.get("field") == field or field is None, (body, response.json)
    assert _kinds(data) == ["maintenance_scheduled"]
    assert api.get(path).json["maintenance"]["ends_at"] == "2030-06-01T21:30:00+00:00"


def test_stage_switches_and_reminder_over_the_api(api, data):
    data.settings(notifications_enabled=True, maintenance_reminder_minutes=60)
    quiet = _create(api, notify_scheduled=False, reminder_minutes=15)
    assert (quiet["notify_scheduled"], quiet["notify_reminder"], quiet["reminder_minutes"],
            quiet["remind_at"]) == (False, True, 15, "2030-06-01T19:45:00+00:00")
    default = _create(api)
    assert default["reminder_minutes"] == 60 and default["remind_at"] == "2030-06-01T19:00:00+00:00"
    assert _kinds(data) == ["maintenance_scheduled"]  # only the second was announced
    off = api.patch(f"/maintenances/{default['id']}", {"notify_reminder": False}).json
    assert off["maintenance"]["remind_at"] is None and off["notification_id"] is None


def test_post_an_update_over_the_api(api, data):
    data.notifications_on()
    running = data.maintenance("Upgrade", -HOUR, 3 * HOUR, status="in_progress")
    response = api.post(f"/maintenances/{running}/updates", {"message": "Verifying."})
    assert response.status_code == 201
    assert response.json["update"]["message"] == "Verifying."
    assert response.json["update"]["status"] == "in_progress"
    assert response.json["notification_id"] is not None
    quiet = api.post(f"/maintenances/{running}/updates", {"message": "Still verifying.",
                                                          "notify": False})
    assert quiet.status_code == 201 and quiet.json["notification_id"] is None
    updates = api.get(f"/maintenances/{running}").json["maintenance"]["updates"]
    assert [u["message"] for u in updates] == ["Still verifying.", "Verifying."]
    empty = api.post(f"/maintenances/{running}/updates", {"message": ""})
    assert empty.status_code == 422 and empty.json["field"] == "message"
    assert _kinds(data) == ["maintenance_updated"]
