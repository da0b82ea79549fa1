"""Integers past 64 bits (and past what int() converts) in URLs, query strings and form
fields: a 404 or a message, never a 500."""
import pytest

from tests.support.web import submit

HUGE = [str(2**63), str(2**64 + 1), "9" * 40, "9" * 5000]
LISTS = ["/admin/incidents", "/admin/maintenance", "/admin/subscribers", "/admin/deliveries",
         "/admin/captured", "/history"]


@pytest.mark.parametrize("number", HUGE)
def test_huge_ids_in_the_path_are_not_found(admin_client, number):
    for path in ("/admin/subscribers/{}", "/admin/captured/{}", "/admin/deliveries/{}",
                 "/admin/deliveries/{}.json", "/admin/email/test/{}", "/incidents/{}",
                 "/admin/rq/{}/view/queues"):
        response = admin_client.get(path.format(number))
        assert response.status_code == 404, path


@pytest.mark.parametrize("number", HUGE + ["-" + str(2**64)])
def test_huge_page_numbers_give_a_page(admin_client, number):
    for path in LISTS:
        response = admin_client.get(path, query_string={"page": number})
        assert response.status_code in (200, 404), (path, response.status_code)
        assert response.status_code == 200 or path == "/history"


def test_huge_display_order_is_refused_with_a_message(admin_client, data):
    response = submit(admin_client, "/admin/components/new", {
        "name": "API", "position": str(2**64), "status": "operational"})
    assert response.status_code == 200
    assert "That number is too large" in response.text
    assert data.count("Component") == 0


def test_huge_port_is_refused_with_a_message(admin_client):
    response = submit(admin_client, "/admin/email", {
        "status_page_name": "Status", "timezone": "UTC", "delivery_retention_days": "9" * 30,
        "provider": "capture", "smtp_port": str(2**64), "smtp_security": "starttls",
        "smtp_timeout": "10"})
    assert response.status_code == 200
    assert "That number is too large" in response.text


def test_huge_ids_in_api_bodies_and_paths(api, data):
    data.component("API")
    assert api.get(f"/components/{2**64}").status_code == 404
    response = api.post("/incidents", json={"title": "Down", "message": "Looking.",
                                            "components": [{"id": 2**64,
                                                            "status": "major_outage"}]})
    assert response.status_code == 422
    assert response.get_json()["field"] == "components"
    assert api.get("/incidents", query_string={"limit": str(2**64)}).status_code == 400
