"""What the admin does that the API now does too, through the HTTP client with a real
token: incident templates, discarding a draft, and the audience preview (checked against
the mails a real SMTP server receives)."""
from tests.fanout.helpers import add_component, add_subscribers, enable_notifications


def test_incident_templates_crud(app, api, data):
    component = data.component("Checkout")
    created = api.post("/incident-templates", json={
        "name": "Checkout down", "title": "Checkout is failing", "impact": "major",
        "message": "Payments fail; we are **on it**.",
        "components": [{"id": component, "status": "major_outage"}]})
    assert created.status_code == 201, created.json
    template = created.json["template"]
    assert template["components"] == [{"id": component, "name": "Checkout",
                                       "status": "major_outage"}]
    assert created.headers["Location"].endswith(f"/api/v1/incident-templates/{template['id']}")
    assert [t["name"] for t in api.get("/incident-templates").json["templates"]] == [
        "Checkout down"]
    patched = api.patch(f"/incident-templates/{template['id']}", json={"impact": "critical"})
    assert patched.status_code == 200
    assert patched.json["template"]["impact"] == "critical"
    assert patched.json["template"]["components"] == template["components"]  # kept
    cleared = api.patch(f"/incident-templates/{template['id']}", json={"components": []})
    assert cleared.json["template"]["components"] == []

    duplicate = api.post("/incident-templates", json={"name": "checkout DOWN", "title": "x"})
    assert duplicate.status_code == 422 and duplicate.json["field"] == "name"
    for body, field in [({"name": "A", "title": "x", "impact": "huge"}, "impact"),
                        ({"name": "A", "title": "x", "components": [{"id": 999,
                                                                     "status": "major_outage"}]},
                         "components"),
                        ({"name": "", "title": "x"}, "name"),
                        ({"name": "A", "title": "x", "colour": "red"}, "colour")]:
        answer = api.post("/incident-templates", json=body)
        assert answer.status_code == 422 and answer.json["field"] == field, answer.json
    assert api.patch(f"/incident-templates/{template['id']}", json={}).status_code == 422

    assert api.call("DELETE", f"/incident-templates/{template['id']}").json == {
        "deleted": {"id": template["id"]}}
    assert api.get(f"/incident-templates/{template['id']}").status_code == 404
    assert api.call("DELETE", f"/incident-templates/{template['id']}").status_code == 404


def test_discard_a_draft_but_never_a_published_incident(app, api):
    draft = api.post("/incidents", json={"title": "Maybe", "message": "x", "draft": True})
    draft_id = draft.json["incident"]["id"]
    assert api.call("DELETE", f"/incidents/{draft_id}").json == {"deleted": {"id": draft_id}}
    assert api.get(f"/incidents/{draft_id}").status_code == 404
    published = api.post("/incidents", json={"title": "Real", "message": "x", "notify": False})
    published_id = published.json["incident"]["id"]
    refused = api.call("DELETE", f"/incidents/{published_id}")
    assert refused.status_code == 409 and refused.is_json
    assert api.get(f"/incidents/{published_id}").status_code == 200


def test_audience_preview_equals_the_mails_sent(app, api, smtp, run_jobs):
    enable_notifications(app)
    database = add_component(app, "Database")
    add_subscribers(app, 2, prefix="whole")
    add_subscribers(app, 3, prefix="db", all_components=False, components=[database])
    add_subscribers(app, 1, prefix="nothing", all_components=False)
    answer = api.get(f"/audience?kind=incident_created&component={database}")
    assert answer.status_code == 200
    figures = answer.json["audience"]
    assert (figures["total"], figures["whole_page"]) == (5, 2)
    assert figures["components"] == [{"id": database, "name": "Database", "count": 3}]
    assert figures["sentence"] == \
        "This notifies 5 subscribers (all components: 2; Database: 3)."
    assert api.get("/audience?kind=incident_created").json["audience"]["total"] == 2
    api.post("/incidents", json={"title": "DB slow", "message": "x",
                                 "components": [{"id": database, "status": "degraded_performance"}]})
    run_jobs()
    assert len(smtp.messages) == figures["total"]


def test_audience_preview_of_maintenance_stages(app, api):
    enable_notifications(app)
    add_subscribers(app, 2, prefix="whole")
    stages = api.get("/audience?kind=maintenance_scheduled&stage=scheduled&stage=reminder"
                     "&reminder_minutes=0").json["audience"]
    assert stages["stages"] == ["scheduled"]
    assert stages["silent_stages"] == ["reminder", "started", "completed"]
    nothing = api.get("/audience?kind=maintenance_scheduled&stage=none").json["audience"]
    assert nothing["stages"] == [] and nothing["sentence"].startswith("No stage")


def test_audience_preview_errors_are_json_400s(api):
    for query, field in [("", "kind"), ("kind=nope", "kind"),
                         ("kind=incident_created&component=x", "component"),
                         ("kind=incident_created&stage=started", "stage"),
                         ("kind=maintenance_started&stage=lunch", "stage"),
                         ("kind=maintenance_started&stage=started&reminder_minutes=-1",
                          "reminder_minutes"),
                         ("kind=maintenance_started&stage=started&window=moon", "window")]:
        answer = api.get("/audience?" + query)
        assert answer.status_code == 400 and answer.json["field"] == field, (query, answer.json)
