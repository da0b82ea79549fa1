"""Drafts (saved, shown to nobody, announced when published) and backfilled incidents
(history only, never announced), through the admin, the API and the mail received."""
from sqlalchemy import select

from statusmail.extensions import db
from statusmail.models import Incident, Notification
from tests.fanout.helpers import add_subscribers, enable_notifications
from tests.support.web import submit

FORM = {"title": "Checkout errors", "impact": "major", "status": "investigating",
        "message": "Payments **fail**.", "notify": "y"}


def _only_incident(app):
    with app.app_context():
        return db.session.scalar(select(Incident.id))


def _notices(app):
    with app.app_context():
        return db.session.scalar(select(db.func.count()).select_from(Notification))


def test_a_draft_is_private_until_published_then_announced(app, admin_client, client, data,
                                                           smtp, run_jobs):
    enable_notifications(app)
    add_subscribers(app, 2)
    checkout = data.component("Checkout")
    response = submit(admin_client, "/admin/incidents/new",
                      {**FORM, f"component_{checkout}": "major_outage", "save_draft": "1"},
                      follow_redirects=True)
    assert "Draft “Checkout errors” saved" in response.text
    incident_id = _only_incident(app)
    run_jobs()
    assert smtp.messages == [] and _notices(app) == 0
    assert data.statuses() == {"Checkout": "operational"}
    # Nowhere public: not on the page, not in history, no page of its own, not "open".
    assert "Checkout errors" not in client.get("/").text
    assert "Checkout errors" not in client.get("/history").text
    assert client.get(f"/incidents/{incident_id}").status_code == 404
    listing = admin_client.get("/admin/incidents").text
    assert "<h2>Drafts</h2>" in listing and "No open incidents." in listing
    # Updates wait for publication.
    page = f"/admin/incidents/{incident_id}"
    refused = submit(admin_client, page, {"status": "identified", "message": "x", "notify": "y"},
                     action=f"{page}/updates")
    assert "is a draft: publish it first" in refused.text

    published = submit(admin_client, page, {"notify": "y"}, action=f"{page}/publish",
                       follow_redirects=True)
    assert "is published; subscribers are being notified" in published.text
    run_jobs()
    assert sorted(m.to for m in smtp.messages) == ["user0@example.org", "user1@example.org"]
    assert "Payments <strong>fail</strong>" in smtp.messages[0].message.get_body(
        ("html",)).get_content()
    assert data.statuses() == {"Checkout": "major_outage"}
    assert "Checkout errors" in client.get("/").text
    assert client.get(f"/incidents/{incident_id}").status_code == 200
    again = submit(admin_client, page, {"notify": "y"}, action=f"{page}/publish",
                   follow_redirects=True)
    assert "already published" in again.text and _notices(app) == 1


def test_a_draft_can_be_discarded_and_a_published_incident_cannot(app, admin_client, data):
    submit(admin_client, "/admin/incidents/new", {**FORM, "save_draft": "1"})
    draft = _only_incident(app)
    page = f"/admin/incidents/{draft}"
    response = submit(admin_client, page, {}, action=f"{page}/discard", follow_redirects=True)
    assert "Draft “Checkout errors” discarded." in response.text
    assert data.count("Incident") == 0 and data.count("IncidentUpdate") == 0
    published = data.incident()
    page = f"/admin/incidents/{published}"
    response = submit(admin_client, page, {}, action=f"{page}/discard", follow_redirects=True)
    assert "Only a draft can be deleted" in response.text and data.count("Incident") == 1


def test_a_draft_does_not_hold_components_another_incident_releases(app, admin_client, data):
    api = data.component("API")
    submit(admin_client, "/admin/incidents/new",
           {**FORM, f"component_{api}": "major_outage", "save_draft": "1"})
    live = data.incident(affected=[(api, "partial_outage")])
    submit(admin_client, f"/admin/incidents/{live}", {"message": "Fixed."},
           action=f"/admin/incidents/{live}/resolve")
    assert data.statuses() == {"API": "operational"}


def test_a_backfilled_incident_goes_into_history_without_notice(app, admin_client, client,
                                                                data, smtp, run_jobs):
    enable_notifications(app)
    add_subscribers(app, 2)
    api = data.component("API")
    response = submit(admin_client, "/admin/incidents/backfill",
                      {"title": "Night outage", "impact": "critical",
                       "started_at": "2026-01-10T02:00", "resolved_at": "2026-01-10T03:30",
                       "message": "A disk *filled*.", f"component_{api}": "major_outage"},
                      follow_redirects=True)
    assert "is in the history; nobody was notified" in response.text
    run_jobs()
    assert smtp.messages == [] and _notices(app) == 0
    assert data.statuses() == {"API": "operational"}
    incident = data.get("Incident", _only_incident(app))
    assert (incident.status, incident.backfilled, incident.draft) == ("resolved", True, False)
    assert str(incident.created_at) == "2026-01-10 02:00:00"
    assert str(incident.resolved_at) == "2026-01-10 03:30:00"
    public = client.get(f"/incidents/{incident.id}").text
    assert "Night outage" in public and "A disk <em>filled</em>." in public


def test_backfill_refuses_future_or_inverted_times(app, admin_client, data):
    cases = [({"started_at": "2026-01-10T03:00", "resolved_at": "2026-01-10T02:00"},
              "must come after the start"),
             ({"started_at": "2026-01-10T03:00", "resolved_at": "2099-01-10T02:00"},
              "is in the future"),
             ({"started_at": "yesterday", "resolved_at": "2026-01-10T02:00"},
              "Enter a date and time")]
    for times, message in cases:
        response = submit(admin_client, "/admin/incidents/backfill",
                          {"title": "Old", "impact": "minor", **times})
        assert response.status_code == 200 and message in response.text, times
    assert data.count("Incident") == 0
