"""Component names are unique as people read them: compared NFKC case-folded on every
database (SQLite's lower() folds only ASCII), through a computed, unique name_key."""
import pytest
import sqlalchemy as sa

from tests.support.web import submit

SAME_NAMES = [("ÄPI", "äpi"), ("Zürich", "ZÜRICH"), ("ﬁle", "file"), ("Straße", "STRASSE"),
              ("ｆｕｌｌ", "full"), ("Ⅻ", "xii")]


@pytest.mark.parametrize("first, second", SAME_NAMES)
def test_same_name_in_another_case_or_form_is_refused(admin_client, data, first, second):
    data.component(first)
    response = submit(admin_client, "/admin/components/new", {
        "name": second, "position": "0", "status": "operational"})
    assert response.status_code == 200
    assert "already exists" in response.text
    assert data.count("Component") == 1


def test_renaming_onto_another_name_is_refused(admin_client, data):
    data.component("Zürich")
    other = data.component("Berlin")
    response = submit(admin_client, f"/admin/components/{other}", {
        "name": "ZÜRICH", "group_name": "", "description": "", "position": "0"})
    assert "already exists" in response.text
    assert data.get("Component", other).name == "Berlin"
    response = submit(admin_client, f"/admin/components/{other}", {
        "name": "BERLIN", "group_name": "", "description": "", "position": "0"})
    assert response.status_code == 302  # its own name in another case is fine


def test_the_database_refuses_a_duplicate_that_skips_the_service(app, data):
    """Two requests that both passed the check: the unique key stops the second."""
    from statusmail.extensions import db
    from statusmail.models import Component
    data.component("Zürich")
    with app.app_context():
        db.session.add(Component(name="ZÜRICH"))
        with pytest.raises(sa.exc.IntegrityError):
            db.session.commit()
        db.session.rollback()

