"""GET /components, PATCH /components/<id>."""


def test_list_components_in_display_order(api, data):
    data.component("Workers", group_name="Backend", position=2)
    data.component("Website", position=1, description="The marketing site")
    response = api.get("/components")
    assert response.status_code == 200
    components = response.json["components"]
    assert [c["name"] for c in components] == ["Website", "Workers"]
    assert components[0]["description"] == "The marketing site"
    assert components[1]["group"] == "Backend" and components[1]["status"] == "operational"


def test_patch_status_notifies(api, data):
    data.notifications_on()
    component_id = data.component("Website")
    response = api.patch(f"/components/{component_id}", {"status": "major_outage"})
    assert response.status_code == 200
    assert response.json["component"]["status"] == "major_outage"
    assert response.json["notification_id"] is not None
    assert data.notices() == [("component_status_changed", None, None, component_id)]


def test_patch_status_without_notice(api, data):
    data.notifications_on()
    component_id = data.component("Website")
    response = api.patch(f"/components/{component_id}", {"status": "partial_outage",
                                                         "notify": False})
    assert response.status_code == 200 and response.json["notification_id"] is None
    assert data.statuses() == {"Website": "partial_outage"}
    assert data.notices() == []


def test_patch_validation(api, data):
    component_id = data.component("Website")
    cases = [
        ({"status": "on_fire"}, 422, "status"),
        ({"status": ["major_outage"]}, 422, "status"),
        ({}, 422, "status"),
        ({"status": "major_outage", "notify": "yes"}, 422, "notify"),
        ({"status": "major_outage", "notfy": False}, 422, "notfy"),
    ]
    for body, status, field in cases:
        response = api.patch(f"/components/{component_id}", body)
        assert (response.status_code, response.json.get("field")) == (status, field), body
        assert response.json["error"]
    assert data.statuses() == {"Website": "operational"}


def test_patch_needs_a_json_object(api, data):
    component_id = data.component("Website")
    response = api.call("PATCH", f"/components/{component_id}", data="status=major_outage",
                        headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 400 and "JSON" in response.json["error"]
    response = api.patch(f"/components/{component_id}", ["major_outage"])
    assert response.status_code == 400


def test_unknown_component_is_404(api):
    response = api.patch("/components/999", {"status": "major_outage"})
    assert response.status_code == 404
    assert response.json == {"error": "There is no component with id 999."}
    # Beyond any integer column: still a plain 404 (PostgreSQL would raise on the lookup).
    assert api.patch(f"/components/{2**70}", {"status": "major_outage"}).status_code == 404
