"""NUL and other control characters in every text field that reaches a page or a mail:
refused with a message next to the field, nothing stored. Line breaks and tabs are
fine in messages and descriptions, and nowhere else."""
import pytest

from tests.support.web import submit

ONE_LINE_BAD = ["a\u0000b", "a\u0007b", "a\u001bb", "a\u007fb", "a\u0085b", "a\u2028b",
                "a\r\nBcc: x@example.com", "=?utf-8?b?QQ1CY2M6IHg=?="]
MULTI_LINE_BAD = ["a\u0000b", "a\u0008b", "a\u001b[31mb", "a\u007fb", "a\u0085b"]


def _component_form(**fields):
    return {"name": "API", "group_name": "", "description": "", "position": "0",
            "status": "operational", **fields}


def _incident_form(**fields):
    return {"title": "Down", "impact": "minor", "status": "investigating",
            "message": "Looking into it.", **fields}


def _maintenance_form(**fields):
    return {"title": "Upgrade", "description": "", "starts_at": "2099-06-01T10:00",
            "ends_at": "2099-06-01T11:00", **fields}


def _settings_form(**fields):
    return {"status_page_name": "Status", "timezone": "UTC", "delivery_retention_days": "90",
            "provider": "capture", "smtp_port": "587", "smtp_security": "starttls",
            "smtp_timeout": "15", **fields}


# (page, form builder, field, multi-line, model counted to prove nothing was stored)
FIELDS = [
    ("/admin/components/new", _component_form, "name", False, "Component"),
    ("/admin/components/new", _component_form, "group_name", False, "Component"),
    ("/admin/components/new", _component_form, "description", True, "Component"),
    ("/admin/incidents/new", _incident_form, "title", False, "Incident"),
    ("/admin/incidents/new", _incident_form, "message", True, "Incident"),
    ("/admin/maintenance/new", _maintenance_form, "title", False, "Maintenance"),
    ("/admin/maintenance/new", _maintenance_form, "description", True, "Maintenance"),
    ("/admin/email", _settings_form, "status_page_name", False, None),
    ("/admin/email", _settings_form, "from_name", False, None),
]


def _count(app, model_name):
    from statusmail import models
    with app.app_context():
        return getattr(models, model_name).query.count()


@pytest.mark.parametrize("page, form, field, multi_line, model", FIELDS,
                         ids=[f"{page}:{field}" for page, _, field, _, _ in FIELDS])
def test_control_characters_are_refused_with_a_message(admin_client, app, page, form, field,
                                                      multi_line, model):
    for value in (MULTI_LINE_BAD if multi_line else ONE_LINE_BAD):
        response = submit(admin_client, page, form(**{field: value}))
        assert response.status_code in (200, 400), (value, response.status_code)
        assert "U+" in response.text, value  # the message names the character
        if model:
            assert _count(app, model) == 0, value
    if model:
        allowed = "Line one\r\n\tLine two" if multi_line else "Zürich – ☃ café"
        response = submit(admin_client, page, form(**{field: allowed}))
        assert response.status_code == 302, response.text
        assert _count(app, model) == 1


def test_settings_keep_their_old_value(admin_client, app):
    from statusmail.models import SiteSettings
    submit(admin_client, "/admin/email", _settings_form(status_page_name="Acme\u0000 Status"))
    with app.app_context():
        assert SiteSettings.get().status_page_name == "Status"


def test_incident_update_resolve_and_edit(admin_client, app, data):
    incident = data.incident(title="Slow")
    page = f"/admin/incidents/{incident}"
    for action, fields in ((f"{page}/updates", {"status": "monitoring",
                                                "message": "Fixed\u0000"}),
                           (f"{page}/resolve", {"message": "Done\u001b"}),
                           (f"{page}/edit", {"title": "Slow\u0000", "impact": "minor"})):
        response = submit(admin_client, page, fields, action=action)
        assert response.status_code == 200 and "U+" in response.text, action
    from statusmail.models import Incident
    with app.app_context():
        row = Incident.query.one()
        assert (row.title, row.status, len(row.updates)) == ("Slow", "investigating", 1)


def test_api_token_name_and_test_send(admin_client, app):
    response = submit(admin_client, "/admin/api-tokens", {"name": "ci\u0000"},
                      action="/admin/api-tokens/new")
    assert "U+0000" in response.text
    assert _count(app, "ApiToken") == 0
    response = submit(admin_client, "/admin/email/test", {
        "recipient": "ops@example.com", "subject": "Hi\u0000", "body": "Body\u0000"})
    assert response.text.count("U+0000") == 2
    assert _count(app, "OutboundMail") == 0


def test_control_characters_in_a_query_string_are_refused(admin_client):
    for path in ("/admin/subscribers", "/admin/captured", "/", "/api/v1/incidents"):
        response = admin_client.get(path, query_string={"q": "a\u0000b", "recipient": "\u0000"})
        assert response.status_code == 400, path
        assert "control character" in response.get_data(as_text=True)


def test_nul_in_the_login_and_reset_forms_is_a_message(client):
    """PostgreSQL refuses a NUL in any query: the form must stop it first."""
    for page in ("/admin/login", "/admin/forgot-password"):
        response = submit(client, page, {"email": "admin\u0000@example.com", "password": "x"})
        assert response.status_code == 200, page
        assert "U+0000" in response.text, page
