"""The public status page, incident and maintenance pages, and history."""
from datetime import timedelta

from tests.status.support import HOUR


def test_all_operational(client, data):
    data.component("Website")
    page = client.get("/")
    assert page.status_code == 200
    assert "All systems operational" in page.text
    assert 'src="/widget"' in page.text  # the subscribe widget is embedded


def test_components_grouped_with_their_status(client, data):
    data.component("Website", position=0)
    data.component("API", group_name="Backend", position=1, status="partial_outage")
    data.component("Workers", group_name="Backend", position=2, status="degraded_performance")
    page = client.get("/").text
    assert "Partial outage" in page.split('role="status"')[1].split("</section>")[0]
    backend = page.split("<span>Backend</span>")[1].split("</div>")[0]
    assert "API" in backend and "Workers" in backend and "Website" not in backend
    assert "badge-partial_outage" in backend  # the group shows its worst member


def test_active_incident_with_latest_updates(client, data, app):
    from statusmail.extensions import db
    from statusmail.models import Incident
    from statusmail.services.incidents import post_update
    api = data.component("API")
    incident_id = data.incident(title="Slow API", affected=[(api, "degraded_performance")])
    with app.app_context():
        post_update(db.session.get(Incident, incident_id), status="identified",
                    message="A noisy neighbour.", notify=False)
    page = client.get("/").text
    assert "Slow API" in page and "A noisy neighbour." in page and "Identified" in page
    assert "Degraded performance" in page
    resolved = data.incident(title="Earlier blip")
    with app.app_context():
        post_update(db.session.get(Incident, resolved), status="resolved", message="",
                    notify=False)
    assert "Earlier blip" not in client.get("/").text


def test_open_incident_is_never_all_operational(client, data):
    data.component("Website")
    data.incident(title="Reports of errors")
    page = client.get("/").text
    assert "All systems operational" not in page and "Reports of errors" in page


def test_upcoming_and_running_maintenance_with_zone(client, data):
    data.settings(timezone="Asia/Tokyo")
    database = data.component("Database")
    data.maintenance("Disk swap", 48 * HOUR, HOUR, [database])
    data.maintenance("Network work", -HOUR, 3 * HOUR, status="in_progress")
    page = client.get("/").text
    assert "Scheduled maintenance" in page and "Disk swap" in page
    assert "Network work" in page and "In progress" in page
    assert " JST" in page and "Times are shown in Asia/Tokyo." in page


def test_html_in_titles_is_escaped(client, data):
    evil = "<script>alert(1)</script>"
    component = data.component(f"Web {evil}")
    incident_id = data.incident(title=f"Down {evil}", message=f"Oops {evil}",
                                affected=[(component, "major_outage")])
    maintenance_id = data.maintenance(f"Fix {evil}", 5 * HOUR, HOUR, description=evil)
    for url in ("/", f"/incidents/{incident_id}", f"/maintenance/{maintenance_id}", "/history"):
        page = client.get(url).text
        assert "<script>alert(1)</script>" not in page, url
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page, url


def test_incident_page_shows_the_timeline(client, data, app):
    from statusmail.extensions import db
    from statusmail.models import Incident
    from statusmail.services.incidents import post_update
    incident_id = data.incident(title="Mail delays", message="Mail is queued.")
    with app.app_context():
        post_update(db.session.get(Incident, incident_id), status="monitoring",
                    message="Queue draining.", notify=False)
    page = client.get(f"/incidents/{incident_id}").text
    assert page.index("Queue draining.") < page.index("Mail is queued.")  # newest first
    assert client.get("/incidents/9999").status_code == 404
    assert client.get("/maintenance/9999").status_code == 404
    assert client.get(f"/incidents/{2**70}").status_code == 404


def test_history_pages_back_fourteen_days_at_a_time(client, data, app):
    from statusmail.extensions import db
    from statusmail.models import Incident, utcnow
    recent = data.incident(title="Recent trouble")
    old = data.incident(title="Old trouble")
    with app.app_context():
        db.session.get(Incident, old).created_at = utcnow() - timedelta(days=20)
        db.session.commit()
    first = client.get("/history").text
    assert "Recent trouble" in first and "Old trouble" not in first
    assert "No incidents reported." in first and "page=2" in first
    second = client.get("/history?page=2").text
    assert "Old trouble" in second and "Recent trouble" not in second
    assert "page=3" not in second  # nothing older
    assert client.get(f"/incidents/{recent}").status_code == 200
    assert client.get("/history?page=0").status_code == 404


def test_history_lists_a_day_newest_first_incidents_and_windows_together(client, data, app):
    from datetime import datetime, time

    from statusmail.extensions import db
    from statusmail.models import Incident, Maintenance, utcnow
    morning, noon, evening = (data.incident(title=t) for t in ("Morning", "Noon", "Evening"))
    window = data.maintenance("Afternoon window", starts_in=HOUR, lasts=HOUR)
    day = datetime.combine(utcnow().date() - timedelta(days=1), time())  # UTC is the zone
    with app.app_context():
        for incident_id, hour in ((morning, 8), (noon, 12), (evening, 19)):
            db.session.get(Incident, incident_id).created_at = day + timedelta(hours=hour)
        row = db.session.get(Maintenance, window)
        row.starts_at, row.ends_at = day + timedelta(hours=15), day + timedelta(hours=16)
        row.status = "completed"
        db.session.commit()
    page = client.get("/history").text
    order = [page.index(title) for title in ("Evening", "Afternoon window", "Noon", "Morning")]
    assert order == sorted(order)
