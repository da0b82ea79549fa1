"""API bodies that break parsers: deep nesting, lone surrogates, NUL — a 4xx naming the
problem, nothing stored."""
import pytest


def _count(app, model_name):
    from statusmail import models
    with app.app_context():
        return getattr(models, model_name).query.count()


@pytest.mark.parametrize("depth", [50, 5_000, 200_000])
def test_deeply_nested_json_is_refused(api, app, depth):
    for body in ('{"title": ' + "[" * depth + "]" * depth + "}",
                 '{"title": ' + '{"a":' * depth + "1" + "}" * depth + "}"):
        response = api.post("/incidents", data=body, content_type="application/json")
        assert response.status_code == 400, response.get_data(as_text=True)[:200]
        assert "nested too deeply" in response.get_json()["error"]
    assert _count(app, "Incident") == 0


@pytest.mark.parametrize("field, value", [
    ("title", "Down\u0000now"), ("title", "Down\u0007"), ("title", "Down\r\nBcc: x@example.com"),
    ("title", "Down\u2028now"), ("title", "=?utf-8?q?Down=0D=0ABcc=3A_x?="),
    ("message", "Looking\u0000"), ("message", "Looking\u001b[31m"), ("message", "\ud800"),
])
def test_control_characters_are_refused_in_api_text(api, app, field, value):
    body = {"title": "Down", "message": "Looking into it.", field: value}
    response = api.post("/incidents", json=body)
    assert response.status_code == 422, response.get_json()
    assert response.get_json()["field"] == field
    assert "U+" in response.get_json()["error"]
    assert _count(app, "Incident") == 0


def test_line_breaks_and_tabs_are_fine_in_messages(api):
    response = api.post("/incidents", json={"title": "Down", "message": "One\n\tTwo\r\nThree"})
    assert response.status_code == 201
    assert response.get_json()["incident"]["updates"][0]["message"] == "One\n\tTwo\r\nThree"


def test_lone_surrogate_in_a_key_is_refused(api):
    response = api.post("/incidents", data='{"\\ud800": 1}', content_type="application/json")
    assert response.status_code == 422
    assert "\\ud800" in response.get_json()["field"]


def test_maintenance_description_and_update_message(api, data):
    incident = data.incident(title="Slow")
    response = api.post(f"/incidents/{incident}/updates", json={"message": "Fixed\u0000"})
    assert response.status_code == 422 and response.get_json()["field"] == "message"
    response = api.post("/maintenances", json={
        "title": "Upgrade", "description": "Short\u0000", "starts_at": "2099-01-01T00:00:00Z",
        "ends_at": "2099-01-01T01:00:00Z"})
    assert response.status_code == 422 and response.get_json()["field"] == "description"
