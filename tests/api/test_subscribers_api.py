"""The subscriber API through the HTTP client with a real token: keyset pages, filters,
one subscriber with history, adding (a confirmation mail read from a real SMTP server,
or confirmed with a consent note), deleting, JSON errors."""
import re

import pytest
from sqlalchemy import insert

from statusmail.extensions import db
from statusmail.models import Delivery, OutboundMail, Subscriber, SubscriberEvent
from tests.public.support import confirm_path


def _add(app, *emails, **common):
    values = [{"email": email, "status": "confirmed", "source": "widget", **common}
              for email in emails]
    with app.app_context():
        ids = db.session.scalars(insert(Subscriber).returning(
            Subscriber.id, sort_by_parameter_order=True), values).all()
        db.session.commit()
    return ids


def _emails(answer):
    assert answer.status_code == 200, answer.json
    return [row["email"] for row in answer.json["subscribers"]]


def test_needs_a_token(client):
    answer = client.get("/api/v1/subscribers")
    assert answer.status_code == 401 and answer.is_json
    assert client.post("/api/v1/subscribers", json={"email": "a@example.com"}).status_code == 401


def test_keyset_pages_walk_every_subscriber_once(app, api):
    emails = [f"user{n:02}@example.com" for n in range(7)]
    _add(app, *emails)
    seen, path = [], "/subscribers?limit=3"
    while path:
        answer = api.get(path)
        seen += _emails(answer)
        assert (answer.json["next"] is None) == (answer.json["next_after"] is None)
        path = answer.json["next"] and answer.json["next"].split("/api/v1", 1)[1]
    assert seen == list(reversed(emails))
    # The cursor keeps the filters; and a page of a list that changed meanwhile holds no
    # row twice (ids only go down).
    first = api.get("/subscribers?limit=2&status=confirmed").json
    assert "status=confirmed" in first["next"] and f"after={first['next_after']}" in first["next"]


def test_filters_by_exact_address_prefix_and_status(app, api):
    _add(app, "alice@example.com", "alina@example.com", "bob@example.com", "al_x@example.com")
    _add(app, "alfred@example.com", status="pending")
    assert _emails(api.get("/subscribers?email=Alice@Example.com")) == ["alice@example.com"]
    assert _emails(api.get("/subscribers?email=ali")) == []
    assert set(_emails(api.get("/subscribers?email_prefix=AL"))) == {
        "alice@example.com", "alina@example.com", "al_x@example.com", "alfred@example.com"}
    # % and _ mean themselves.
    assert _emails(api.get("/subscribers?email_prefix=al_")) == ["al_x@example.com"]
    assert _emails(api.get("/subscribers?email_prefix=%25")) == []
    assert _emails(api.get("/subscribers?email_prefix=al&status=pending")) == [
        "alfred@example.com"]


@pytest.mark.parametrize("query, field", [
    ("status=gone", "status"), ("limit=0", "limit"), ("limit=101", "limit"),
    ("after=abc", "after"), ("after=-1", "after"), ("after=99999999999999999999", "after"),
    ("email=", "email"), ("email=a&email_prefix=b", "email"),
    ("email_prefix=" + "a" * 255, "email_prefix"), ("email=a%00b", "email"),
    ("email_prefix=%1b", "email_prefix"),
])
def test_bad_query_parameters_are_json_400s(api, query, field):
    answer = api.get("/subscribers?" + query)
    # (control characters in a query string are refused before the route, naming no field)
    assert answer.status_code == 400 and answer.json.get("field", field) == field
    assert answer.json["error"]


def test_get_one_with_its_preferences_and_history(app, api, data):
    component = data.component("Database")
    created = api.post("/subscribers", json={"email": "phone@example.com", "confirm": "skip",
                                             "consent_note": "asked by phone 2026-12-01"})
    assert created.status_code == 201
    sid = created.json["subscriber"]["id"]
    with app.app_context():
        from statusmail.models import Component
        row = db.session.get(Subscriber, sid)
        row.all_components = False
        row.components = [db.session.get(Component, component)]
        db.session.commit()
    one = api.get(f"/subscribers/{sid}").json["subscriber"]
    assert one["all_components"] is False
    assert one["components"] == [{"id": component, "name": "Database"}]
    assert one["status"] == "confirmed" and one["source"] == "api"
    assert one["history"][-1]["consent_note"] == "asked by phone 2026-12-01"
    assert one["history"][-1]["actor"] == "API token \u201cmonitoring\u201d"
    assert api.get("/subscribers/999999").status_code == 404


def test_create_with_a_confirmation_mail(app, api, smtp, run_jobs, client):
    created = api.post("/subscribers", json={"email": " New@Example.com "})
    assert created.status_code == 201
    body = created.json["subscriber"]
    assert body["email"] == "new@example.com" and body["status"] == "pending"
    assert created.headers["Location"].endswith(f"/api/v1/subscribers/{body['id']}")
    assert body["history"][-1]["what"] == "Added; a confirmation mail was sent"
    run_jobs()
    assert confirm_path(smtp, "new@example.com").startswith("/confirm/")


def test_create_confirmed_needs_a_consent_note(app, api):
    for body, field in [({"email": "a@example.com", "confirm": "skip"}, "consent_note"),
                        ({"email": "a@example.com", "confirm": "skip", "consent_note": "  "},
                         "consent_note"),
                        ({"email": "a@example.com", "confirm": "skip", "consent_note": 5},
                         "consent_note"),
                        ({"email": "a@example.com", "consent_note": "yes"}, "consent_note"),
                        ({"email": "a@example.com", "confirm": "maybe"}, "confirm"),
                        ({"email": "not-an-address"}, "email"),
                        ({"email": ["a@example.com"]}, "email"),
                        ({}, "email"),
                        ({"email": "a@example.com", "status": "confirmed"}, "status")]:
        answer = api.post("/subscribers", json=body)
        assert answer.status_code == 422 and answer.json["field"] == field, (body, answer.json)
    with app.app_context():
        assert Subscriber.query.count() == 0 and OutboundMail.query.count() == 0


def test_an_existing_address_is_a_409_naming_it(app, api):
    (sid,) = _add(app, "here@example.com", status="unsubscribed")
    answer = api.post("/subscribers", json={"email": "HERE@example.com"})
    assert answer.status_code == 409 and answer.json["id"] == sid
    assert answer.json["field"] == "email" and "already a subscriber" in answer.json["error"]
    with app.app_context():
        assert db.session.get(Subscriber, sid).status == "unsubscribed"


def test_delete_removes_the_subscriber_and_their_records(app, api):
    sid = api.post("/subscribers", json={"email": "bye@example.com"}).json["subscriber"]["id"]
    answer = api.call("DELETE", f"/subscribers/{sid}")
    assert answer.status_code == 200
    assert answer.json["deleted"] == {"id": sid, "email": "bye@example.com"}
    with app.app_context():
        assert Subscriber.query.count() == 0 and SubscriberEvent.query.count() == 0
        assert OutboundMail.query.count() == 0 and Delivery.query.count() == 0
    again = api.call("DELETE", f"/subscribers/{sid}")
    assert again.status_code == 404 and again.is_json


def test_list_is_a_constant_number_of_queries(app, api, data):
    from sqlalchemy import event
    component = data.component("Database")
    ids = _add(app, *[f"p{n}@example.com" for n in range(30)], all_components=False)
    with app.app_context():
        from statusmail.models import subscriber_components
        db.session.execute(insert(subscriber_components),
                           [{"subscriber_id": sid, "component_id": component} for sid in ids])
        db.session.commit()
        statements = []
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
    try:
        api.get("/subscribers?limit=1")  # the token's first use of the run writes last_used_at
        small = len(statements)
        api.get("/subscribers?limit=2")
        small = len(statements) - small
        before = len(statements)
        listed = api.get("/subscribers?limit=30")
        large = len(statements) - before
    finally:
        with app.app_context():
            event.remove(db.engine, "before_cursor_execute", listener)
    assert all(row["components"] == [{"id": component, "name": "Database"}]
               for row in listed.json["subscribers"])
    assert large == small, re.sub(r"\s+", " ", "\n".join(statements[-large:]))


def test_a_suppressed_address_cannot_be_added(app, api):
    from statusmail.services.suppressions import suppress
    with app.app_context():
        suppress("never@example.com", "not_me", "subscriber")
    answer = api.post("/subscribers", json={"email": "never@example.com", "confirm": "skip",
                                            "consent_note": "asked by phone"})
    assert answer.status_code == 409 and "suppression list" in answer.json["error"]
    with app.app_context():
        assert Subscriber.query.count() == 0
