"""Admin → Components, driven through the HTTP client with real CSRF tokens."""
from tests.support.web import submit


def test_add_edit_and_list_components(admin_client, data):
    response = submit(admin_client, "/admin/components/new", {
        "name": "API", "group_name": "Backend", "description": "The REST API",
        "position": "2", "status": "degraded_performance"})
    assert response.status_code == 302
    submit(admin_client, "/admin/components/new", {"name": "Website", "position": "1",
                                                   "status": "operational"})
    page = admin_client.get("/admin/components").text
    assert page.index("<td>Website") < page.index("<td>API")  # display order
    assert "Degraded performance" in page and "Backend" in page

    api_id = data.component_id("API")
    response = submit(admin_client, f"/admin/components/{api_id}", {
        "name": "Public API", "group_name": "", "description": "", "position": "5"})
    assert response.status_code == 302
    api = data.get("Component", api_id)
    assert (api.name, api.group_name, api.position) == ("Public API", None, 5)
    assert api.status == "degraded_performance"  # editing details leaves the status alone


def test_duplicate_name_is_refused_with_a_message(admin_client, data):
    data.component("Website")
    response = submit(admin_client, "/admin/components/new", {"name": "website",
                                                              "position": "0",
                                                              "status": "operational"})
    assert response.status_code == 200
    assert "already exists" in response.text
    assert data.count("Component") == 1


def test_missing_name_is_refused(admin_client, data):
    response = submit(admin_client, "/admin/components/new", {"name": " ", "position": "0",
                                                              "status": "operational"})
    assert "Give the component a name" in response.text
    assert data.count("Component") == 0


def test_status_change_notifies_subscribers_when_asked(admin_client, data):
    data.notifications_on()
    component_id = data.component("Website")
    page = f"/admin/components/{component_id}"
    response = submit(admin_client, page, {"status": "major_outage", "notify": "y"},
                      action=f"{page}/status", follow_redirects=True)
    assert "now major outage; subscribers are being notified" in response.text
    assert data.notices() == [("component_status_changed", None, None, component_id)]
    assert data.statuses() == {"Website": "major_outage"}

    # Unticked box: the status changes, nobody is mailed.
    submit(admin_client, page, {"status": "operational"}, action=f"{page}/status")
    assert data.statuses() == {"Website": "operational"}
    assert len(data.notices()) == 1


def test_status_change_sends_nothing_while_notifications_are_off(admin_client, data):
    component_id = data.component("Website")
    page = f"/admin/components/{component_id}"
    response = submit(admin_client, page, {"status": "partial_outage", "notify": "y"},
                      action=f"{page}/status", follow_redirects=True)
    assert "notifications are off" in response.text
    assert data.statuses() == {"Website": "partial_outage"}
    assert data.notices() == []


def test_setting_the_same_status_announces_nothing(admin_client, data):
    data.notifications_on()
    component_id = data.component("Website")
    page = f"/admin/components/{component_id}"
    response = submit(admin_client, page, {"status": "operational", "notify": "y"},
                      action=f"{page}/status", follow_redirects=True)
    assert "already operational" in response.text
    assert data.notices() == []


def test_delete_component_removes_its_links(admin_client, data, app):
    from statusmail.extensions import db
    from statusmail.models import Component, Subscriber
    component_id = data.component("Website")
    data.incident(affected=[(component_id, "major_outage")])
    with app.app_context():
        subscriber = Subscriber(email="a@example.com", status="confirmed", all_components=False,
                                components=[db.session.get(Component, component_id)])
        db.session.add(subscriber)
        db.session.commit()
        subscriber_id = subscriber.id
    page = f"/admin/components/{component_id}"
    response = submit(admin_client, page, {}, action=f"{page}/delete")
    assert response.status_code == 302
    assert data.count("Component") == 0
    assert data.count("IncidentComponent") == 0
    assert data.get("Subscriber", subscriber_id).components == []

