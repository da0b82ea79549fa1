"""The language setting in Mail templates → Branding: a select of English and the
languages with a catalogue; choosing one saves it and is audited, an unknown one is refused
with a clear error, and the public pages follow it."""

from statusmail.models import AuditEvent, SiteSettings
from tests.support.web import csrf_token


def _language(app):
    with app.app_context():
        return SiteSettings.get().language


def _brand(client, **data):
    page = client.get("/admin/mail-templates")
    return client.post("/admin/mail-templates/branding",
                       data={"csrf_token": csrf_token(page.text),
                             "status_page_name": "Acme Status", **data})


def _audit(app):
    with app.app_context():
        return [(event.kind, event.detail) for event in
                AuditEvent.query.filter_by(kind="mail_branding_saved").order_by(AuditEvent.id)]


def test_the_select_offers_english_and_every_language_with_a_catalogue(admin_client):
    page = admin_client.get("/admin/mail-templates").text
    assert ('<select id="language" name="language"><option selected value="en">English</option>'
            '<option value="de">Deutsch</option></select>') in page


def test_choosing_a_language_saves_it_audits_it_and_the_status_page_follows(app, admin_client):
    assert _brand(admin_client, language="de").status_code == 302
    assert _language(app) == "de"
    assert _audit(app) == [("mail_branding_saved", {"fields": ["language", "status_page_name"]})]
    page = admin_client.get("/admin/mail-templates").text
    assert '<option selected value="de">Deutsch</option>' in page
    assert '<html lang="de">' in app.test_client().get("/").text

    assert _brand(admin_client, language="en").status_code == 302
    assert _language(app) == "en"
    assert _audit(app)[-1] == ("mail_branding_saved", {"fields": ["language"]})
    assert '<html lang="en">' in app.test_client().get("/").text


def test_an_unknown_language_is_refused_with_a_clear_error(app, admin_client):
    for value in ("xx", "fr", "../de", ""):
        answer = _brand(admin_client, language=value)
        assert answer.status_code == 400, value
        assert "Choose a language from the list" in answer.text
    assert _language(app) == "en"
    assert _audit(app) == []


def test_a_post_without_the_field_keeps_the_language(app, admin_client):
    assert _brand(admin_client, language="de").status_code == 302
    assert _brand(admin_client, logo_url="").status_code == 302
    assert _language(app) == "de"
