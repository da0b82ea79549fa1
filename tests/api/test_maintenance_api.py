"""Maintenance over the API: times with offsets, stored in UTC; cancel (and its notice)."""
from datetime import datetime

from tests.status.support import HOUR


def _create(api, **fields):
    body = {"title": "Database upgrade", "description": "Read-only.",
            "starts_at": "2030-06-01T22:00:00+02:00", "ends_at": "2030-06-01T23:30:00+02:00",
            **fields}
    return api.post("/maintenances", body)


def test_create_maintenance_stores_utc(api, data):
    data.notifications_on()
    database = data.component("Database")
    response = _create(api, component_ids=[database])
    assert response.status_code == 201
    maintenance = response.json["maintenance"]
    assert maintenance["starts_at"] == "2030-06-01T20:00:00+00:00"
    assert maintenance["ends_at"] == "2030-06-01T21:30:00+00:00"
    assert maintenance["status"] == "scheduled"
    assert maintenance["components"] == [{"id": database, "name": "Database"}]
    row = data.get("Maintenance", maintenance["id"])
    assert (row.starts_at, row.ends_at) == (datetime(2030, 6, 1, 20), datetime(2030, 6, 1, 21, 30))
    assert data.notices() == [("maintenance_scheduled", None, maintenance["id"], None)]


def test_create_maintenance_validation(api, data):
    cases = [
        ({"starts_at": "2030-06-01T22:00:00"}, "starts_at"),  # no offset
        ({"starts_at": "next tuesday"}, "starts_at"),
        ({"ends_at": None}, "ends_at"),
        ({"ends_at": "2030-06-01T21:00:00+02:00"}, "ends_at"),  # before the start
        ({"starts_at": "2020-01-01T00:00:00Z", "ends_at": "2020-01-01T01:00:00Z"}, "starts_at"),
        ({"title": None}, "title"),
        ({"component_ids": [12345]}, "component_ids"),
        ({"component_ids": ["1"]}, "component_ids"),
    ]
    for fields, field in cases:
        response = _create(api, **fields)
        assert (response.status_code, response.json.get("field")) == (422, field), fields
        assert response.json["error"]
    assert data.count("Maintenance") == 0


def test_list_maintenances(api, data):
    data.maintenance("Next week", 100 * HOUR, HOUR)
    data.maintenance("Last week", -100 * HOUR, HOUR, status="completed")
    titles = [m["title"] for m in api.get("/maintenances").json["maintenances"]]
    assert titles == ["Next week", "Last week"]
    upcoming = api.get("/maintenances?status=upcoming").json["maintenances"]
    assert [m["title"] for m in upcoming] == ["Next week"]
    assert api.get("/maintenances?status=later").status_code == 400


def test_cancel(api, data):
    upcoming = data.maintenance("Next week", 100 * HOUR, HOUR)
    running = data.maintenance("Now", -HOUR, 2 * HOUR, status="in_progress")
    response = api.post(f"/maintenances/{upcoming}/cancel")
    assert response.status_code == 200 and response.json["maintenance"]["status"] == "cancelled"
    response = api.post(f"/maintenances/{running}/cancel")
    assert response.status_code == 409 and "in progress" in response.json["error"]
    assert response.json["field"] == "status"
    assert api.post("/maintenances/999/cancel").status_code == 404
    assert data.get("Maintenance", running).status == "in_progress"


def test_cancel_notifies_once(api, data):
    data.notifications_on()
    maintenance_id = data.maintenance("Next week", 100 * HOUR, HOUR)
    response = api.post(f"/maintenances/{maintenance_id}/cancel")  # notify defaults to true
    assert response.status_code == 200 and response.json["notification_id"] is not None
    assert response.json["maintenance"]["status"] == "cancelled"
    again = api.post(f"/maintenances/{maintenance_id}/cancel", {"notify": True})
    assert again.status_code == 409 and "this one is cancelled" in again.json["error"]
    assert data.notices() == [("maintenance_cancelled", None, maintenance_id, None)]


def test_cancel_without_notice(api, data):
    data.notifications_on()
    asked_not_to = data.maintenance("Next week", 100 * HOUR, HOUR)
    never_announced = data.maintenance("Quiet", 100 * HOUR, HOUR, notify=False)
    response = api.post(f"/maintenances/{asked_not_to}/cancel", {"notify": False})
    assert response.status_code == 200 and response.json["notification_id"] is None
    response = api.post(f"/maintenances/{never_announced}/cancel")
    assert response.status_code == 200 and response.json["notification_id"] is None
    assert data.get("Maintenance", asked_not_to).status == "cancelled"
    assert data.get("Maintenance", never_announced).status == "cancelled"
    assert data.notices() == []


def test_cancel_body_is_checked_before_anything_changes(api, data):
    data.notifications_on()
    maintenance_id = data.maintenance("Next week", 100 * HOUR, HOUR)
    for body, field in (({"notify": "yes"}, "notify"), ({"notfy": False}, "notfy")):
        response = api.post(f"/maintenances/{maintenance_id}/cancel", body)
        assert (response.status_code, response.json["field"]) == (422, field), body
    response = api.post(f"/maintenances/{maintenance_id}/cancel", data="[]",
                        headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert data.get("Maintenance", maintenance_id).status == "scheduled"
    assert data.notices() == []
