"""Markdown in incident and maintenance messages, as subscribers and visitors meet it: in
the mail a real SMTP server received (HTML rendered, text readable), on the status page,
and in the admin's preview."""
from sqlalchemy import select

from statusmail.extensions import db
from statusmail.models import Incident, Maintenance
from tests.fanout.helpers import add_subscribers, enable_notifications
from tests.support.web import csrf_token, submit

MESSAGE = ("Payments **fail** for *some* cards; see [the notes](https://example.com/notes).\n\n"
           "- Visa\n- Amex\n\nRun `retry --all`. <script>alert(1)</script> "
           "[bad](javascript:alert(1))")


def test_an_incident_in_markdown_reads_well_in_both_parts_of_the_mail(app, admin_client, smtp,
                                                                      run_jobs):
    enable_notifications(app)
    add_subscribers(app, 1)
    submit(admin_client, "/admin/incidents/new",
           {"title": "Payments", "impact": "major", "status": "investigating",
            "message": MESSAGE, "notify": "y"})
    run_jobs()
    (received,) = smtp.wait_for(1)
    html = received.message.get_body(("html",)).get_content()
    text = received.message.get_body(("plain",)).get_content()
    assert "Payments <strong>fail</strong> for <em>some</em> cards" in html
    assert '<a href="https://example.com/notes" rel="noopener noreferrer nofollow">' in html
    assert "<li>Visa</li>" in html and "<code>retry --all</code>" in html
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "javascript:" not in html.replace("[bad](javascript:alert(1))", "")
    assert "Payments fail for some cards; see the notes (https://example.com/notes)." in text
    assert "- Visa\n- Amex" in text.replace("\r\n", "\n")
    assert "**" not in text and "`" not in text


def test_the_status_page_renders_the_markdown_safely(app, admin_client, client):
    submit(admin_client, "/admin/incidents/new",
           {"title": "Payments", "impact": "major", "status": "investigating",
            "message": MESSAGE})
    with app.app_context():
        incident_id = db.session.scalar(select(Incident.id))
    for page in (f"/incidents/{incident_id}", "/", f"/admin/incidents/{incident_id}"):
        html = (admin_client if page.startswith("/admin") else client).get(page).text
        assert "Payments <strong>fail</strong>" in html, page
        assert "<li>Amex</li>" in html, page
        assert "<script>alert(1)</script>" not in html, page
        assert 'href="javascript:' not in html, page


def test_maintenance_descriptions_take_markdown_too(app, admin_client, client):
    submit(admin_client, "/admin/maintenance/new",
           {"title": "Upgrade", "description": "Read-only, **no writes**.\n\n- API\n- Web",
            "starts_at": "2040-06-01T22:00", "ends_at": "2040-06-01T23:00"})
    with app.app_context():
        maintenance_id = db.session.scalar(select(Maintenance.id))
    html = client.get(f"/maintenance/{maintenance_id}").text
    assert "<strong>no writes</strong>" in html and "<li>Web</li>" in html


def test_the_preview_endpoint_renders_as_the_page_will(admin_client):
    token = csrf_token(admin_client.get("/admin/incidents/new").text)
    answer = admin_client.post("/admin/markdown-preview",
                               data={"csrf_token": token, "text": MESSAGE})
    assert answer.status_code == 200
    body = answer.get_json()
    assert "<strong>fail</strong>" in body["html"] and "<script>" not in body["html"]
    assert body["text"].startswith("Payments fail for some cards")
    too_long = admin_client.post("/admin/markdown-preview",
                                 data={"csrf_token": token, "text": "x" * 20_001})
    assert too_long.status_code == 400 and "characters" in too_long.get_json()["error"]
    assert admin_client.post("/admin/markdown-preview", data={"text": "x"}).status_code == 400


def test_without_scripts_the_preview_button_shows_the_message(app, admin_client):
    page = submit(admin_client, "/admin/incidents/new",
                  {"title": "Payments", "impact": "major", "status": "investigating",
                   "message": MESSAGE, "preview": "1"})
    assert page.status_code == 200
    assert 'class="markdown-preview"' in page.text and "<strong>fail</strong>" in page.text
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(Incident)) == 0
