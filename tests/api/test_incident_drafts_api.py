"""Drafts and backfilled incidents through the API: private until published, then
announced once; backfilled ones never announced."""
from tests.fanout.helpers import add_subscribers, enable_notifications


def test_drafts_and_backfill_through_the_api(app, api, smtp, run_jobs):
    enable_notifications(app)
    add_subscribers(app, 1)
    created = api.post("/incidents", json={
        "title": "Queued", "message": "Soon.", "draft": True})
    assert created.status_code == 201 and created.get_json()["notification_id"] is None
    incident = created.get_json()["incident"]
    assert incident["draft"] is True
    assert [i["id"] for i in api.get("/incidents?status=draft")
            .get_json()["incidents"]] == [incident["id"]]
    assert api.get("/incidents?status=open").get_json()["incidents"] == []
    update = api.post(f"/incidents/{incident['id']}/updates",
                             json={"message": "x"})
    assert update.status_code == 409
    published = api.post(f"/incidents/{incident['id']}/publish", json={})
    assert published.status_code == 200 and published.get_json()["notification_id"]
    assert published.get_json()["incident"]["draft"] is False
    assert api.post(f"/incidents/{incident['id']}/publish").status_code == 409
    run_jobs()
    assert len(smtp.messages) == 1

    past = api.post("/incidents/backfill", json={
        "title": "Old outage", "impact": "major", "message": "Over.",
        "started_at": "2026-01-10T02:00:00+01:00", "resolved_at": "2026-01-10T03:00:00Z"})
    assert past.status_code == 201, past.get_json()
    body = past.get_json()["incident"]
    assert (body["status"], body["backfilled"], body["created_at"]) == (
        "resolved", True, "2026-01-10T01:00:00+00:00")
    assert past.headers["Location"].endswith(f"/api/v1/incidents/{body['id']}")
    bad = api.post("/incidents/backfill", json={
        "title": "Old", "started_at": "2026-01-10T02:00:00Z"})
    assert bad.status_code == 422 and bad.get_json()["field"] == "resolved_at"
    run_jobs()
    assert len(smtp.messages) == 1
