"""Incidents over the API: list, create, read, edit, update, resolve."""


def _create(api, **fields):
    body = {"title": "Checkout failing", "impact": "major", "status": "investigating",
            "message": "Payments time out.", **fields}
    return api.post("/incidents", body)


def test_create_incident_with_components(api, data):
    data.notifications_on()
    checkout = data.component("Checkout")
    response = _create(api, components=[{"id": checkout, "status": "major_outage"}])
    assert response.status_code == 201
    incident = response.json["incident"]
    assert response.headers["Location"].endswith(f"/api/v1/incidents/{incident['id']}")
    assert (incident["title"], incident["impact"], incident["status"]) == (
        "Checkout failing", "major", "investigating")
    assert incident["components"] == [{"id": checkout, "name": "Checkout",
                                       "status": "major_outage"}]
    assert [u["message"] for u in incident["updates"]] == ["Payments time out."]
    assert incident["url"] == f"http://statusmail.test/incidents/{incident['id']}"
    assert data.statuses() == {"Checkout": "major_outage"}
    assert data.notices() == [("incident_created", incident["id"], None, None)]
    assert response.json["notification_id"] is not None


def test_create_incident_validation_writes_nothing(api, data):
    checkout = data.component("Checkout")
    cases = [
        ({"title": ""}, "title"),
        ({"impact": "apocalyptic"}, "impact"),
        ({"status": "resolved"}, "status"),
        ({"message": "   "}, "message"),
        ({"components": [{"id": 999, "status": "major_outage"}]}, "components"),
        ({"components": [{"id": checkout, "status": "sad"}]}, "components"),
        ({"components": [{"id": checkout}]}, "components"),
        ({"components": "Checkout"}, "components"),
        ({"notify": 1}, "notify"),
    ]
    for fields, field in cases:
        response = _create(api, **fields)
        assert (response.status_code, response.json.get("field")) == (422, field), fields
    assert data.count("Incident") == 0
    assert data.statuses() == {"Checkout": "operational"}


def test_list_incidents_filters_open(api, data):
    data.incident(title="Open one")
    resolved = data.incident(title="Closed one")
    api.post(f"/incidents/{resolved}/resolve", {"notify": False})
    everything = api.get("/incidents").json["incidents"]
    assert {i["title"] for i in everything} == {"Open one", "Closed one"}
    open_only = api.get("/incidents?status=open").json["incidents"]
    assert [i["title"] for i in open_only] == ["Open one"]
    assert api.get("/incidents?status=resolved").json["incidents"][0]["title"] == "Closed one"
    assert api.get("/incidents?status=maybe").status_code == 400
    assert api.get("/incidents?limit=0").status_code == 400


def test_get_incident(api, data):
    incident_id = data.incident(title="Slow search")
    response = api.get(f"/incidents/{incident_id}")
    assert response.status_code == 200 and response.json["incident"]["title"] == "Slow search"
    assert api.get("/incidents/999").status_code == 404


def test_post_update_then_resolve(api, data):
    data.notifications_on()
    search = data.component("Search")
    incident_id = data.incident(affected=[(search, "partial_outage")])

    response = api.post(f"/incidents/{incident_id}/updates",
                        {"status": "identified", "message": "Index corrupted."})
    assert response.status_code == 201
    assert response.json["update"]["message"] == "Index corrupted."
    assert response.json["incident"]["status"] == "identified"

    response = api.post(f"/incidents/{incident_id}/resolve", {"message": "Reindexed."})
    assert response.status_code == 200
    assert response.json["incident"]["status"] == "resolved"
    assert response.json["incident"]["resolved_at"] is not None
    assert data.statuses() == {"Search": "operational"}
    assert data.notices() == [("incident_updated", incident_id, None, None),
                              ("incident_resolved", incident_id, None, None)]

    again = api.post(f"/incidents/{incident_id}/resolve")
    assert again.status_code == 409 and "already resolved" in again.json["error"]
    late = api.post(f"/incidents/{incident_id}/updates", {"status": "monitoring",
                                                          "message": "Hm."})
    assert late.status_code == 409
    assert len(data.get("Incident", incident_id).updates) == 3


def test_resolve_without_body_uses_the_default_message(api, data):
    incident_id = data.incident()
    response = api.post(f"/incidents/{incident_id}/resolve")
    assert response.status_code == 200
    assert response.json["incident"]["updates"][0]["message"] == "This incident has been resolved."


def test_update_validation(api, data):
    incident_id = data.incident()
    response = api.post(f"/incidents/{incident_id}/updates", {"status": "identified"})
    assert (response.status_code, response.json["field"]) == (422, "message")
    response = api.post(f"/incidents/{incident_id}/updates", {"status": "x", "message": "y"})
    assert (response.status_code, response.json["field"]) == (422, "status")
    response = api.post(f"/incidents/{incident_id}/updates", data="not json",
                        headers={"Content-Type": "text/plain"})
    assert response.status_code == 400
    assert api.post("/incidents/999/updates", {"message": "x"}).status_code == 404
    assert len(data.get("Incident", incident_id).updates) == 1


def test_patch_title_and_impact_sends_no_notice(api, data, client):
    data.notifications_on()
    incident_id = data.incident(title="Slow search")  # impact "major"
    response = api.patch(f"/incidents/{incident_id}", {"title": "Search <b>down</b> & out"})
    assert response.status_code == 200
    incident = response.json["incident"]
    assert (incident["title"], incident["impact"]) == ("Search <b>down</b> & out", "major")
    response = api.patch(f"/incidents/{incident_id}", {"impact": "critical"})
    assert response.json["incident"]["impact"] == "critical"

    row = data.get("Incident", incident_id)
    assert (row.title, row.impact, len(row.updates)) == ("Search <b>down</b> & out", "critical", 1)
    assert data.notices() == []
    public = client.get(f"/incidents/{incident_id}").text
    assert "Search &lt;b&gt;down&lt;/b&gt; &amp; out" in public and "<b>down</b>" not in public

    api.post(f"/incidents/{incident_id}/resolve", {"notify": False})
    response = api.patch(f"/incidents/{incident_id}", {"title": "Search index lost",
                                                       "impact": "minor"})
    assert response.status_code == 200  # history can be corrected too
    assert data.get("Incident", incident_id).title == "Search index lost"


def test_patch_validation_changes_nothing(api, data):
    incident_id = data.incident(title="Slow search")
    cases = [
        ({"title": ""}, "title"),
        ({"title": None}, "title"),
        ({"title": "Slow\r\nBcc: everyone@example.com"}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"impact": "apocalyptic"}, "impact"),
        ({"title": "Fine title", "impact": None}, "impact"),
        ({"status": "resolved"}, "status"),
        ({"notify": False}, "notify"),
    ]
    for body, field in cases:
        response = api.patch(f"/incidents/{incident_id}", body)
        assert (response.status_code, response.json.get("field")) == (422, field), body
        assert response.json["error"]
    response = api.patch(f"/incidents/{incident_id}", {})
    assert response.status_code == 422 and "'title'" in response.json["error"]
    response = api.patch(f"/incidents/{incident_id}", data="title=x",
                         headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 400
    assert api.patch("/incidents/999", {"title": "Nope"}).status_code == 404
    row = data.get("Incident", incident_id)
    assert (row.title, row.impact) == ("Slow search", "major")
