"""Incident templates: managed in the admin, picked when opening an incident."""
from tests.support.web import submit


def _save(client, url="/admin/incident-templates/new", **fields):
    form = {"name": "Database down", "title": "Database unavailable", "impact": "critical",
            "message": "We are **restoring** the primary.", **fields}
    return submit(client, url, form, follow_redirects=True)


def _template_id(app, name):
    from statusmail.models import IncidentTemplate
    with app.app_context():
        return IncidentTemplate.query.filter_by(name=name).one().id


def test_a_template_fills_in_the_new_incident_form(app, admin_client, data):
    database, api = data.component("Database"), data.component("API")
    response = _save(admin_client, **{f"component_{database}": "major_outage"})
    assert "Template “Database down” saved." in response.text
    assert "Database unavailable" in response.text  # the list
    template_id = _template_id(app, "Database down")

    picker = admin_client.get("/admin/incidents/new").text
    assert f'<option value="{template_id}">Database down</option>' in picker
    page = admin_client.get(f"/admin/incidents/new?template={template_id}").text
    assert 'value="Database unavailable"' in page
    assert '<option selected value="critical">' in page
    assert "We are **restoring** the primary.</textarea>" in page
    assert (f'<select id="component_{database}" name="component_{database}">'
            in page.replace("\n", ""))
    assert '<option selected value="major_outage">' in page
    # The audience sentence already counts for the template's components.
    assert "Database: 0" in page

    submit(admin_client, f"/admin/incidents/new?template={template_id}",
           {"title": "Database unavailable", "impact": "critical", "status": "investigating",
            "message": "We are **restoring** the primary.", f"component_{database}": "major_outage",
            f"component_{api}": ""})
    incident = data.get("Incident", data.only_id("Incident"))
    assert (incident.title, incident.impact) == ("Database unavailable", "critical")
    assert data.statuses() == {"Database": "major_outage", "API": "operational"}


def test_editing_a_template_replaces_its_choices(app, admin_client, data):
    database, api = data.component("Database"), data.component("API")
    _save(admin_client, **{f"component_{database}": "major_outage"})
    template_id = _template_id(app, "Database down")
    url = f"/admin/incident-templates/{template_id}"
    assert 'value="Database down"' in admin_client.get(url).text
    _save(admin_client, url, name="Database slow", impact="minor",
          **{f"component_{database}": "", f"component_{api}": "degraded_performance"})
    from statusmail.models import IncidentTemplate
    with app.app_context():
        template = IncidentTemplate.query.one()
        assert (template.name, template.impact) == ("Database slow", "minor")
        assert [(link.component_id, link.new_status) for link in template.affected] == [
            (api, "degraded_performance")]


def test_bad_templates_are_refused_with_the_reason(app, admin_client, data):
    _save(admin_client)
    cases = [({"name": "database DOWN"}, "There is already a template named"),
             ({"name": ""}, "Give the template a name."),
             ({"name": "Other", "title": ""}, "Give the incident a title."),
             ({"name": "Other", "title": "Two\r\nlines"}, "must fit on one line"),
             ({"name": "Other", "impact": "apocalyptic"}, "Not a valid choice")]
    for fields, message in cases:
        response = _save(admin_client, **fields)
        assert response.status_code == 200 and message in response.text, fields
    assert data.count("IncidentTemplate") == 1


def test_deleting_templates_and_their_components(app, admin_client, data):
    database = data.component("Database")
    _save(admin_client, **{f"component_{database}": "major_outage"})
    template_id = _template_id(app, "Database down")
    submit(admin_client, f"/admin/components/{database}", {},
           action=f"/admin/components/{database}/delete")
    assert data.count("IncidentTemplateComponent") == 0 and data.count("IncidentTemplate") == 1
    response = submit(admin_client, "/admin/incident-templates", {},
                      action=f"/admin/incident-templates/{template_id}/delete",
                      follow_redirects=True)
    assert "Template “Database down” deleted." in response.text
    assert data.count("IncidentTemplate") == 0
    assert admin_client.get(f"/admin/incident-templates/{template_id}").status_code == 404
    # An unknown template on the new-incident form is simply no template.
    assert admin_client.get("/admin/incidents/new?template=999").status_code == 200
    assert admin_client.get("/admin/incidents/new?template=" + "9" * 30).status_code == 200


def test_the_template_list_asks_the_same_questions_for_2_or_20_templates(app, admin_client,
                                                                        data):
    from statusmail.services.incident_templates import save_template
    from tests.support.sql import counting_statements
    components = [data.component(f"Part {n}") for n in range(3)]

    def add(first, count):
        with app.app_context():
            for n in range(first, first + count):
                save_template(name=f"T{n}", title="Down", impact="major", message="",
                              affected=[(cid, "major_outage") for cid in components])

    def statements():
        admin_client.get("/admin/incident-templates")
        with counting_statements(app) as counts:
            assert admin_client.get("/admin/incident-templates").status_code == 200
        return sum(counts.values())

    add(0, 2)
    few = statements()
    add(2, 18)
    assert statements() == few
