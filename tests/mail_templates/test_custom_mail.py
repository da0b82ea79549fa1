"""Customised mail, end to end: saved in the admin, published, read from a real SMTP
server; a template that does not render is refused on save with the error on the field."""
import re

from statusmail.extensions import db
from statusmail.models import MailCustomization, SiteSettings, Subscriber
from statusmail.services.outbox import queue_outbound
from tests.fanout.helpers import (
    add_component, add_subscribers, enable_notifications, publish_component_change,
    publish_incident,
)
from tests.support.web import csrf_token, use_smtp

PAGE = "/admin/mail-templates/incident_created"


def _save(client, url, **data):
    page = client.get(url)
    assert page.status_code == 200
    return client.post(url, data={"csrf_token": csrf_token(page.text), **data})


def _brand(client, **data):
    page = client.get("/admin/mail-templates")
    return client.post("/admin/mail-templates/branding",
                       data={"csrf_token": csrf_token(page.text), **data})


def test_custom_subject_intro_footer_and_branding_reach_the_subscriber(app, admin_client, smtp,
                                                                       run_jobs):
    enable_notifications(app)
    use_smtp(app, smtp)
    api = add_component(app, "API")
    add_subscribers(app, 2)
    assert _brand(admin_client, status_page_name="Acme Status",
                  logo_url="https://cdn.example.com/logo.png",
                  accent_color="#AA3300").status_code == 302
    response = _save(admin_client, PAGE,
                     subject="{{ page_name }} | {{ title|upper }} | {{ status }} | {{ components }}",
                     intro="**Heads up**, {{ title }} affects [our API](https://example.com/api).",
                     footer="Questions? Write to *ops@example.com*.")
    assert response.status_code == 302, response.text

    publish_incident(app, title="Login errors", component_ids=[api])
    run_jobs()
    received = smtp.wait_for(2)
    for item in received:
        mail = item.message
        assert mail["Subject"] == "Acme Status | LOGIN ERRORS | Investigating | API"
        text = mail.get_body(("plain",)).get_content().replace("\r\n", "\n")
        html = mail.get_body(("html",)).get_content()
        assert text.startswith("Heads up, Login errors affects our API (https://example.com/api).\n\n"
                               "Incident created\n")
        assert "-- \nQuestions? Write to ops@example.com.\n\nYou receive this because" in text
        assert "/manage/" in text and "Unsubscribe: http://statusmail.test/unsubscribe/" in text
        assert "<strong>Heads up</strong>" in html
        assert 'href="https://example.com/api"' in html
        assert "<em>ops@example.com</em>" in html
        assert '<img src="https://cdn.example.com/logo.png" alt="Acme Status"' in html
        assert "background:#aa3300" in html and "#2563eb" not in html


def test_without_customisation_the_mail_is_as_before(app, smtp, run_jobs):
    enable_notifications(app)
    use_smtp(app, smtp)
    add_subscribers(app, 1)
    publish_incident(app, title="Login errors")
    run_jobs()
    mail = smtp.wait_for(1)[0].message
    assert mail["Subject"] == "[Acme Status] Incident: Login errors"
    text = mail.get_body(("plain",)).get_content().replace("\r\n", "\n")
    html = mail.get_body(("html",)).get_content()
    assert text.startswith("Incident created\n\nLogin errors\n")
    assert "-- \nYou receive this because" in text
    assert "<img" not in html and "background:#2563eb" in html


def test_maintenance_and_component_variables(app, admin_client, smtp, run_jobs):
    enable_notifications(app)
    use_smtp(app, smtp)
    add_subscribers(app, 1)
    api = add_component(app, "API")
    assert _save(admin_client, "/admin/mail-templates/component_status_changed",
                 subject="{{ title }} went from {{ previous_status|lower }} to {{ status|lower }}",
                 intro="", footer="").status_code == 302
    publish_component_change(app, api, "major_outage")
    run_jobs()
    assert smtp.wait_for(1)[0].message["Subject"] == "API went from operational to major outage"


def test_confirmation_mail_is_customisable(app, admin_client, smtp, run_jobs):
    use_smtp(app, smtp)
    assert _save(admin_client, "/admin/mail-templates/confirm",
                 subject="Please confirm: {{ page_name }}", intro="Welcome aboard.",
                 footer="Sent by {{ page_name }}.").status_code == 302
    with app.app_context():
        SiteSettings.get().status_page_name = "Acme"
        subscriber = Subscriber(email="new@example.org", status="pending")
        db.session.add(subscriber)
        db.session.flush()
        queue_outbound("confirm", subscriber.email, subscriber_id=subscriber.id)
        db.session.commit()
    run_jobs()
    mail = smtp.wait_for(1)[0].message
    assert mail["Subject"] == "Please confirm: Acme"
    text = mail.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert text.startswith("Welcome aboard.\n\nHello,")
    assert "-- \nSent by Acme.\n\nAcme\n" in text
    assert "<p>Welcome aboard.</p>" in mail.get_body(("html",)).get_content()


def test_a_template_that_does_not_render_is_refused_on_save(app, admin_client):
    for subject, says in [("{{ ''.__class__ }}", "attributes"),
                          ("{{ nope }}", "Unknown variable"),
                          ("{{ title", "syntax error"),
                          ("{% for i in range(10) %}x{% endfor %}", "loops")]:
        response = _save(admin_client, PAGE, subject=subject, intro="", footer="")
        assert response.status_code == 400
        assert says in response.text
        assert 'class="field has-error"' in response.text
    response = _save(admin_client, PAGE, subject="", intro="{{ starts }}", footer="")
    assert response.status_code == 400 and "Unknown variable “starts”" in response.text
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(MailCustomization)) == 0


def test_preview_shows_unsaved_changes_and_saves_nothing(app, admin_client):
    response = _save(admin_client, PAGE, subject="Now: {{ title }}", intro="Hi *there*",
                     footer="", preview="1")
    assert response.status_code == 200
    assert "Now: Elevated error rates on the API" in response.text
    frame = re.search(r'data-preview-html\s+src="([^"]+)"', response.text).group(1)
    html = admin_client.get(frame.replace("&amp;", "&"))
    assert html.status_code == 200 and "<em>there</em>" in html.text
    assert "script-src" not in html.headers["Content-Security-Policy"]
    assert "sandbox" in html.headers["Content-Security-Policy"]
    live = admin_client.get(f"{PAGE}/preview.json", query_string={
        "subject": "{{ status }}!", "intro": "", "footer": "Bye"})
    assert live.status_code == 200
    assert live.json["subject"] == "Investigating!" and "Bye" in live.json["text"]
    bad = admin_client.get(f"{PAGE}/preview.json", query_string={"subject": "{{ x }}"})
    assert bad.status_code == 400 and "Unknown variable" in bad.json["errors"]["subject"]
    with app.app_context():
        assert db.session.get(MailCustomization, "incident_created") is None


def test_branding_is_validated(app, admin_client):
    for data, says in [({"logo_url": "http://example.com/l.png"}, "https://"),
                       ({"logo_url": "javascript:alert(1)"}, "https://"),
                       ({"logo_url": 'https://e.com/"onerror=x'}, "quotes"),
                       ({"logo_url": "https://user:pw@e.com/l.png"}, "password"),
                       ({"accent_color": "red"}, "#rrggbb"),
                       ({"accent_color": "#12345g"}, "#rrggbb")]:
        response = _brand(admin_client, status_page_name="Acme", **data)
        assert response.status_code == 400 and says in response.text
    with app.app_context():
        settings = SiteSettings.get()
        assert settings.mail_logo_url is None and settings.mail_accent_color is None


def test_saves_are_audited_and_clearing_restores_the_default(app, admin_client):
    assert _save(admin_client, PAGE, subject="X {{ title }}", intro="", footer="").status_code == 302
    assert _save(admin_client, PAGE, subject="", intro="", footer="").status_code == 302
    with app.app_context():
        assert db.session.get(MailCustomization, "incident_created") is None
    log = admin_client.get("/admin/audit-log")
    assert "mail_template_saved" in log.text


def test_unknown_kind_is_not_found(admin_client):
    assert admin_client.get("/admin/mail-templates/password_reset").status_code == 404
    assert admin_client.get("/admin/mail-templates/nope/preview.json").status_code == 404
