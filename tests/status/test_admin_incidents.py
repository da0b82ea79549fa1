"""Admin → Incidents: open, update, resolve, each with or without a notice; edit."""
import re

from tests.support.web import submit


def _open(client, data, notify=True, **fields):
    form = {"title": "Checkout is failing", "impact": "major", "status": "investigating",
            "message": "Payments time out.", **fields}
    if notify:
        form["notify"] = "y"
    return submit(client, "/admin/incidents/new", form, follow_redirects=True)


def test_open_incident_moves_components_and_notifies(admin_client, data):
    data.notifications_on()
    checkout = data.component("Checkout")
    data.component("Search")
    response = _open(admin_client, data, **{f"component_{checkout}": "major_outage"})
    assert "is open; subscribers are being notified" in response.text
    assert "Payments time out." in response.text  # the timeline's first entry

    incident_id = data.notices()[0][1]
    assert data.notices() == [("incident_created", incident_id, None, None)]
    incident = data.get("Incident", incident_id)
    assert (incident.title, incident.impact, incident.status) == (
        "Checkout is failing", "major", "investigating")
    assert [(u.status, u.message) for u in incident.updates] == [
        ("investigating", "Payments time out.")]
    assert data.statuses() == {"Checkout": "major_outage", "Search": "operational"}


def test_open_incident_without_notice(admin_client, data):
    data.notifications_on()
    _open(admin_client, data, notify=False)
    assert data.count("Incident") == 1
    assert data.notices() == []


def test_nothing_is_sent_while_notifications_are_off(admin_client, data):
    response = _open(admin_client, data)
    assert "notifications are off" in response.text
    assert data.count("Incident") == 1
    assert data.notices() == []


def test_invalid_incident_writes_nothing(admin_client, data):
    response = _open(admin_client, data, title="", message="")
    assert response.status_code == 200
    assert "Give the incident a title." in response.text
    assert data.count("Incident") == data.count("IncidentUpdate") == 0


def test_title_on_two_lines_is_refused(admin_client, data):
    response = _open(admin_client, data, title="Broken\r\nBcc: everyone@example.com")
    assert "must fit on one line" in response.text
    assert data.count("Incident") == 0


def test_updates_then_resolution_by_update_status(admin_client, data):
    data.notifications_on()
    checkout = data.component("Checkout")
    incident_id = data.incident(affected=[(checkout, "partial_outage")])
    page = f"/admin/incidents/{incident_id}"

    response = submit(admin_client, page, {"status": "identified", "message": "A bad deploy.",
                                            "notify": "y"},
                      action=f"{page}/updates", follow_redirects=True)
    assert "Incident updated; subscribers are being notified" in response.text
    submit(admin_client, page, {"status": "monitoring", "message": "Rolled back."},
           action=f"{page}/updates")  # no notice for this one
    response = submit(admin_client, page, {"status": "resolved", "message": "All good.",
                                            "notify": "y"},
                      action=f"{page}/updates", follow_redirects=True)
    assert "Incident resolved" in response.text

    assert data.notices() == [("incident_updated", incident_id, None, None),
                              ("incident_resolved", incident_id, None, None)]
    incident = data.get("Incident", incident_id)
    assert incident.status == "resolved" and incident.resolved_at is not None
    assert [u.message for u in incident.updates] == [
        "All good.", "Rolled back.", "A bad deploy.", "We are looking into it."]
    assert data.statuses() == {"Checkout": "operational"}


def test_resolve_button_and_a_second_resolution_is_refused(admin_client, data):
    data.notifications_on()
    incident_id = data.incident()
    page = f"/admin/incidents/{incident_id}"
    page_html = admin_client.get(page).text
    response = submit(admin_client, page, {"message": "", "notify": "y"},
                      action=f"{page}/resolve", follow_redirects=True)
    assert "Incident resolved" in response.text
    assert "This incident has been resolved." in response.text  # the default message

    # A second tab, still showing the open incident, resolves again.
    from tests.support.web import csrf_token
    again = admin_client.post(f"{page}/resolve", data={
        "csrf_token": csrf_token(page_html), "message": "", "notify": "y"})
    assert "already resolved" in again.text
    assert [kind for kind, *_ in data.notices()] == ["incident_resolved"]
    assert len(data.get("Incident", incident_id).updates) == 2


def test_resolving_leaves_components_another_incident_still_holds(admin_client, data):
    api = data.component("API")
    first = data.incident(title="Errors", affected=[(api, "partial_outage")])
    data.incident(title="Slowness", affected=[(api, "degraded_performance")])
    submit(admin_client, f"/admin/incidents/{first}", {"message": "Fixed."},
           action=f"/admin/incidents/{first}/resolve")
    assert data.statuses() == {"API": "degraded_performance"}


def test_incident_list_shows_open_and_resolved(admin_client, data):
    data.incident(title="Still broken")
    resolved = data.incident(title="Old trouble")
    submit(admin_client, f"/admin/incidents/{resolved}", {},
           action=f"/admin/incidents/{resolved}/resolve")
    page = admin_client.get("/admin/incidents").text
    open_part, resolved_part = page.split("<h2>Resolved</h2>")
    assert "Still broken" in open_part and "Old trouble" not in open_part
    assert "Old trouble" in resolved_part


def test_unknown_incident_is_404(admin_client):
    assert admin_client.get("/admin/incidents/999").status_code == 404


def _edit(client, incident_id, **fields):
    page = f"/admin/incidents/{incident_id}"
    return submit(client, page, {"title": "Checkout is failing", "impact": "major", **fields},
                  action=f"{page}/edit", follow_redirects=True)


def test_edit_title_and_impact_sends_no_notice(admin_client, data):
    data.notifications_on()
    incident_id = data.incident(title="Checkout is failing")  # impact "major"
    page = admin_client.get(f"/admin/incidents/{incident_id}").text
    assert "Saving sends no notice" in page
    assert 'name="title" required type="text" value="Checkout is failing"' in page

    response = _edit(admin_client, incident_id, title="Card <b>payments</b> & refunds fail",
                     impact="critical")
    assert "Incident saved; no notice was sent" in response.text
    assert "<h1>Card &lt;b&gt;payments&lt;/b&gt; &amp; refunds fail</h1>" in response.text
    incident = data.get("Incident", incident_id)
    assert (incident.title, incident.impact) == ("Card <b>payments</b> & refunds fail",
                                                 "critical")
    assert len(incident.updates) == 1 and data.notices() == []

    public = admin_client.get(f"/incidents/{incident_id}").text
    assert "Card &lt;b&gt;payments&lt;/b&gt; &amp; refunds fail" in public
    assert "<b>payments</b>" not in public and "Critical impact" in public


def test_invalid_edit_changes_nothing(admin_client, data):
    incident_id = data.incident(title="Checkout is failing")
    cases = [
        ({"title": ""}, "Give the incident a title."),
        ({"title": "   "}, "Give the incident a title."),
        ({"title": "Broken\r\nBcc: everyone@example.com"}, "must fit on one line"),
        ({"title": "x" * 201}, "Field cannot be longer than 200 characters."),
        ({"title": "A fine title", "impact": "apocalyptic"}, "Not a valid choice."),
    ]
    for fields, message in cases:
        response = _edit(admin_client, incident_id, **fields)
        assert response.status_code == 200 and message in response.text, fields
        assert "Incident saved" not in response.text
        incident = data.get("Incident", incident_id)
        assert (incident.title, incident.impact) == ("Checkout is failing", "major"), fields
    missing = submit(admin_client, f"/admin/incidents/{incident_id}",
                     {"title": "Nope", "impact": "minor"}, action="/admin/incidents/999/edit")
    assert missing.status_code == 404


def test_the_incident_page_links_each_notice_to_its_delivery_progress(admin_client, data):
    data.notifications_on()
    _open(admin_client, data)
    incident_id = data.notices()[0][1]
    page = f"/admin/incidents/{incident_id}"
    submit(admin_client, page, {"status": "identified", "message": "Found it.", "notify": "y"},
           action=f"{page}/updates")
    submit(admin_client, page, {"status": "monitoring", "message": "Quiet."},
           action=f"{page}/updates")  # no notice, so no row
    with data.app.app_context():
        from statusmail.models import Notification
        ids = [n.id for n in Notification.query.filter_by(incident_id=incident_id)
               .order_by(Notification.id.desc())]
    assert len(ids) == 2

    text = admin_client.get(page).text
    notices = text[text.index('id="notices"'):]
    links = re.findall(r'href="/admin/deliveries/(\d+)#progress">Delivery progress', notices)
    assert [int(n) for n in links] == ids  # newest first, one per notice
    assert notices.index("Incident updated") < notices.index("Incident created")
    assert admin_client.get(f"/admin/deliveries/{ids[0]}").status_code == 200


def test_an_incident_without_notices_says_so(admin_client, data):
    _open(admin_client, data, notify=False)
    text = admin_client.get(f"/admin/incidents/{data.only_id('Incident')}").text
    assert "No notice has been sent about this incident." in text
