""""Who will get this?": the audience shown before a notice is sent is the audience mailed.

Every check counts the mails a real SMTP server received after the operator pressed the
button, and compares them with the figure the page (and its JSON) gave just before.
"""
import re
from html import unescape

from sqlalchemy import select

from statusmail.extensions import db
from statusmail.models import Incident, Maintenance
from tests.fanout.helpers import add_component, add_subscribers, enable_notifications
from tests.support.sql import counting_statements
from tests.support.web import submit

SENTENCE = re.compile(r"This notifies ([\d,]+) subscribers? \(([^)]*)\)")


def _world(app):
    """Two components and subscribers of every kind of choice."""
    enable_notifications(app)
    api, database = add_component(app, "API"), add_component(app, "Database")
    add_subscribers(app, 3, prefix="whole")
    add_subscribers(app, 2, prefix="api", all_components=False, components=[api])
    add_subscribers(app, 1, prefix="db", all_components=False, components=[database])
    add_subscribers(app, 1, prefix="both", all_components=False, components=[api, database])
    add_subscribers(app, 1, prefix="nothing", all_components=False)
    add_subscribers(app, 1, prefix="noincidents", notify_incidents=False)
    add_subscribers(app, 1, prefix="nomaint", notify_maintenance=False)
    add_subscribers(app, 1, prefix="nochanges", all_components=False, components=[api],
                    notify_component_changes=False)
    add_subscribers(app, 2, prefix="pending", status="pending")
    return api, database


def _stated(html):
    """``(total, "all components: …; API: …")`` from the sentence on a page."""
    found = SENTENCE.search(unescape(html))
    assert found, "no audience sentence on the page"
    return int(found.group(1).replace(",", "")), found.group(2)


def _json(client, kind, *component_ids):
    query = "&".join([f"kind={kind}", *(f"component={cid}" for cid in component_ids)])
    response = client.get(f"/admin/audience.json?{query}")
    assert response.status_code == 200, response.text
    return response.get_json()


def _mailed(smtp, run_jobs, before):
    run_jobs()
    return len(smtp.messages) - before


def test_opening_an_incident_mails_exactly_the_previewed_audience(app, admin_client, smtp,
                                                                  run_jobs):
    api, database = _world(app)
    # Without scripts: "Preview" posts the form and creates nothing.
    preview = submit(admin_client, "/admin/incidents/new",
                     {"title": "Errors", "impact": "major", "status": "investigating",
                      "message": "Looking.", "notify": "y", f"component_{api}": "major_outage",
                      "preview": "1"})
    assert preview.status_code == 200
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(Incident)) == 0
    # whole ×3, nomaint, nochanges-but-follows-API, api ×2, both: 8; not db, nothing,
    # noincidents, pending.
    assert _stated(preview.text) == (8, "all components: 4; API: 4")
    figures = _json(admin_client, "incident_created", api)
    assert (figures["total"], figures["whole_page"]) == (8, 4)
    assert figures["components"] == [{"id": api, "name": "API", "count": 4}]
    assert figures["summary"] == "This notifies 8 subscribers (all components: 4; API: 4)"

    response = submit(admin_client, "/admin/incidents/new",
                      {"title": "Errors", "impact": "major", "status": "investigating",
                       "message": "Looking.", "notify": "y", f"component_{api}": "major_outage"},
                      follow_redirects=True)
    assert "subscribers are being notified" in response.text
    assert _mailed(smtp, run_jobs, 0) == 8

    # The incident's page states the audience of its updates and of its resolution.
    with app.app_context():
        incident_id = db.session.scalar(select(Incident.id))
    page = f"/admin/incidents/{incident_id}"
    assert _stated(admin_client.get(page).text) == (8, "all components: 4; API: 4")
    sent = len(smtp.messages)
    submit(admin_client, page, {"status": "identified", "message": "Found it.", "notify": "y"},
           action=f"{page}/updates")
    assert _mailed(smtp, run_jobs, sent) == 8
    sent = len(smtp.messages)
    submit(admin_client, page, {"message": "", "notify": "y"}, action=f"{page}/resolve")
    assert _mailed(smtp, run_jobs, sent) == 8


def test_an_incident_about_no_component_reaches_whole_page_subscribers_only(
        app, admin_client, smtp, run_jobs):
    _world(app)
    page = admin_client.get("/admin/incidents/new").text
    assert _stated(page) == (4, "all components: 4")
    submit(admin_client, "/admin/incidents/new",
           {"title": "Everything is slow", "impact": "minor", "status": "investigating",
            "message": "Looking.", "notify": "y"})
    assert _mailed(smtp, run_jobs, 0) == 4
    assert sorted(m.to for m in smtp.messages) == [
        "nomaint0@example.org", "whole0@example.org", "whole1@example.org",
        "whole2@example.org"]


def test_several_components_count_each_subscriber_once(app, admin_client, smtp, run_jobs):
    api, database = _world(app)
    figures = _json(admin_client, "incident_created", api, database)
    # "both" follows the two: counted under each component, once in the total.
    assert figures["summary"] == ("This notifies 9 subscribers "
                                  "(all components: 4; API: 4; Database: 2)")
    submit(admin_client, "/admin/incidents/new",
           {"title": "Errors", "impact": "major", "status": "investigating",
            "message": "Looking.", "notify": "y", f"component_{api}": "partial_outage",
            f"component_{database}": "major_outage"})
    assert _mailed(smtp, run_jobs, 0) == 9


def test_scheduling_maintenance_mails_the_previewed_audience(app, admin_client, smtp, run_jobs):
    api, database = _world(app)
    form = {"title": "Database upgrade", "description": "Read-only meanwhile.",
            "starts_at": "2040-06-01T22:00", "ends_at": "2040-06-01T23:00",
            "component_ids": [str(database)], "notify": "y", "notify_scheduled": "y",
            "notify_started": "y"}
    preview = submit(admin_client, "/admin/maintenance/new", {**form, "preview": "1"})
    # whole ×3, noincidents (nomaint does not want maintenance), db, both: 6.
    assert _stated(preview.text) == (6, "all components: 4; Database: 2")
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(Maintenance)) == 0
    assert _json(admin_client, "maintenance_scheduled", database)["total"] == 6
    submit(admin_client, "/admin/maintenance/new", form)
    assert _mailed(smtp, run_jobs, 0) == 6
    with app.app_context():
        maintenance_id = db.session.scalar(select(Maintenance.id))
    detail = admin_client.get(f"/admin/maintenance/{maintenance_id}").text
    assert _stated(detail) == (6, "all components: 4; Database: 2")
    sent = len(smtp.messages)
    submit(admin_client, f"/admin/maintenance/{maintenance_id}", {},
           action=f"/admin/maintenance/{maintenance_id}/start")
    assert _mailed(smtp, run_jobs, sent) == 6


def test_a_component_change_mails_the_previewed_audience(app, admin_client, smtp, run_jobs):
    api, _ = _world(app)
    page = admin_client.get(f"/admin/components/{api}").text
    # whole ×3, noincidents, nomaint, api ×2, both (nochanges opted out): 8.
    assert _stated(page) == (8, "all components: 5; API: 3")
    submit(admin_client, f"/admin/components/{api}", {"status": "major_outage", "notify": "y"},
           action=f"/admin/components/{api}/status")
    assert _mailed(smtp, run_jobs, 0) == 8


def test_the_preview_says_when_notifications_are_off(app, admin_client):
    api, _ = _world(app)
    with app.app_context():
        from statusmail.models import SiteSettings
        SiteSettings.get().notifications_enabled = False
        db.session.commit()
    figures = _json(admin_client, "incident_created", api)
    assert figures["notifications_enabled"] is False
    assert figures["sentence"].startswith("Email notifications are off")
    assert "this would notify 8 subscribers" in figures["sentence"]


def test_bad_preview_requests_get_a_clear_400(admin_client):
    for query in ("kind=nonsense", "", "kind=incident_created&component=abc",
                  "kind=incident_created&component=-1",
                  "kind=incident_created&component=" + "9" * 40,
                  "kind=incident_created&" + "&".join(["component=1"] * 501)):
        response = admin_client.get(f"/admin/audience.json?{query}")
        assert response.status_code == 400, query
        assert response.get_json()["error"]
    # An unknown component is simply nobody's.
    figures = admin_client.get("/admin/audience.json?kind=incident_created&component=999")
    assert figures.status_code == 200 and figures.get_json()["components"] == []


def test_the_preview_needs_a_login(client):
    response = client.get("/admin/audience.json?kind=incident_created")
    assert response.status_code == 302 and "/admin/login" in response.headers["Location"]


def test_the_preview_asks_the_same_few_questions_at_any_list_size(app, admin_client):
    api, database = _world(app)
    url = f"/admin/audience.json?kind=incident_created&component={api}&component={database}"
    admin_client.get(url)
    with counting_statements(app) as small:
        admin_client.get(url)
    add_subscribers(app, 300, prefix="more")
    add_subscribers(app, 300, prefix="moreapi", all_components=False, components=[api])
    with counting_statements(app) as large:
        figures = admin_client.get(url).get_json()
    assert figures["total"] == 9 + 600
    assert sum(small.values()) == sum(large.values())


def test_ids_no_column_can_hold_count_as_no_component(app, admin_client):
    _world(app)
    for component in ("-9223372036854775809", "9223372036854775808", "0"):
        response = submit(admin_client, "/admin/maintenance/new",
                          {"title": "x", "component_ids": component, "preview": "1",
                           "notify": "y", "notify_scheduled": "y"})
        assert response.status_code == 200, component
        assert _stated(response.text) == (4, "all components: 4")


def test_the_maintenance_form_states_which_stages_mail_whom(app, admin_client, smtp, run_jobs):
    """The line follows the stage switches: the stages switched on are named with the
    audience the fan-out mails at each, the others as sending nothing."""
    api, database = _world(app)
    form = {"title": "Database upgrade", "starts_at": "2040-06-01T22:00",
            "ends_at": "2040-06-01T23:00", "component_ids": [str(database)], "notify": "y",
            "notify_scheduled": "y", "notify_completed": "y", "reminder_minutes": "30"}
    line = unescape(submit(admin_client, "/admin/maintenance/new",
                           {**form, "preview": "1"}).text)
    assert ("This notifies 6 subscribers (all components: 4; Database: 2) at each of the "
            "announcement (on saving) and the completion. No mail at the reminder (30 minutes "
            "before the start) and the start.") in line
    reminding = unescape(submit(admin_client, "/admin/maintenance/new",
                                {**form, "notify_reminder": "y", "preview": "1"}).text)
    assert "at each of the announcement (on saving), the reminder (30 minutes before the " \
           "start) and the completion. No mail at the start." in reminding
    silent = unescape(submit(admin_client, "/admin/maintenance/new",
                             {"title": "x", "notify": "y", "preview": "1"}).text)
    assert "No stage of this window mails anyone" in silent
    off = unescape(submit(admin_client, "/admin/maintenance/new",
                          {**form, "notify": "", "preview": "1"}).text)
    assert "Nobody will be mailed at any stage" in off

    # The JSON the page's script asks for says the same, and the fan-out agrees.
    figures = admin_client.get(
        f"/admin/audience.json?stages=1&window=new&component={database}&stage=scheduled"
        "&stage=completed&reminder_minutes=30").get_json()
    assert figures["total"] == 6 and figures["stages"] == ["scheduled", "completed"]
    assert figures["silent_stages"] == ["reminder", "started"]
    submit(admin_client, "/admin/maintenance/new", form)
    assert _mailed(smtp, run_jobs, 0) == 6
    with app.app_context():
        maintenance_id = db.session.scalar(select(Maintenance.id))
    # Editing: the announcement is behind it; what is ahead is stated.
    edit = unescape(admin_client.get(f"/admin/maintenance/{maintenance_id}/edit").text)
    assert ("This notifies 6 subscribers (all components: 4; Database: 2) at the completion. "
            "No mail at the reminder (30 minutes before the start) and the start.") in edit
    bad = admin_client.get("/admin/audience.json?stages=1&window=nowhere")
    assert bad.status_code == 400 and bad.is_json
    assert admin_client.get("/admin/audience.json?stages=1&reminder_minutes=x").status_code == 400
