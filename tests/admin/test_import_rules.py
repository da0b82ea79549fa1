"""The import's merge rules, now SQL over ranges of lines: each rule seen through the
result page and the list, with ranges small enough that lines meet across them."""
from datetime import datetime

import pytest

from statusmail.extensions import db
from statusmail.models import Component, OutboundMail, Subscriber
from statusmail.services.transfers import importer
from tests.admin.test_subscriber_csv import counts, problems, upload
from tests.admin.test_subscribers import add_subscribers


@pytest.fixture(params=[importer.MERGE_CHUNK, 2], ids=["one-range", "ranges-of-2"])
def merge_chunk(request, monkeypatch):
    monkeypatch.setattr(importer, "MERGE_CHUNK", request.param)
    return request.param


def _subscribers(app):
    with app.app_context():
        return {s.email: s for s in Subscriber.query}


def test_a_later_unsubscribe_wins_and_repeats_are_listed_in_order(app, admin_client,
                                                                  merge_chunk):
    content = ("email,status,unsubscribed_at\n"
               "a@example.com,,\n"                                  # 2
               "b@example.com,confirmed,\n"                         # 3
               "a@example.com,confirmed,\n"                         # 4
               "c@example.com,,\n"                                  # 5
               "b@example.com,unsubscribed,2024-05-06T07:08:09Z\n"  # 6
               "b@example.com,bounced,\n"                           # 7
               "a@example.com,,\n")                                 # 8
    response = upload(admin_client, content, mode="mark_confirmed")
    result = counts(response)
    assert result["Added"] == 3 and result["Duplicates merged"] == 4
    assert ("line 4 repeats line 2; line 8 repeats line 2; line 6 repeats line 3; "
            "line 7 repeats line 3") in response.text
    found = _subscribers(app)
    assert {email: s.status for email, s in found.items()} == {
        "a@example.com": "confirmed", "b@example.com": "unsubscribed",
        "c@example.com": "confirmed"}
    assert found["b@example.com"].unsubscribed_at == datetime(2024, 5, 6, 7, 8, 9)
    assert found["b@example.com"].confirmed_at is None


def test_components_are_linked_by_name_and_unknown_names_reported(app, admin_client,
                                                                  merge_chunk):
    with app.app_context():
        db.session.add_all([Component(name="Database"), Component(name="API")])
        db.session.commit()
    content = ("email,components,all_components,notify_maintenance,status\n"
               "one@example.com,database;api,,no,\n"
               "two@example.com,Nowhere;API,,,pending\n"
               "three@example.com,,,,bounced\n")
    response = upload(admin_client, content, mode="mark_confirmed")
    assert counts(response)["Added"] == 3
    assert "Components not found here, so not linked: Nowhere." in response.text
    found = _subscribers(app)
    with app.app_context():
        names = {email: sorted(c.name for c in db.session.merge(s).components)
                 for email, s in found.items()}
    assert names == {"one@example.com": ["API", "Database"], "two@example.com": ["API"],
                     "three@example.com": []}
    one, two, three = (found[f"{n}@example.com"] for n in ("one", "two", "three"))
    assert not one.all_components and not two.all_components and three.all_components
    assert not one.notify_maintenance and two.notify_maintenance
    assert (one.status, two.status, three.status) == ("confirmed", "pending", "bounced")
    assert three.last_bounce == "Marked as bounced in an imported file."
    assert one.confirmed_at and two.confirmed_at is None and two.confirmation_sent_at is None
    assert len({s.link_key for s in found.values()}) == 3


def test_double_opt_in_mails_only_new_pending_addresses(app, admin_client, merge_chunk):
    add_subscribers(app, "waiting@example.com", status="pending")
    add_subscribers(app, {"email": "gone@example.com", "status": "unsubscribed"})
    response = upload(admin_client, "waiting@example.com\nnew1@example.com\n"
                                    "gone@example.com\nnew2@example.com\nNEW1@example.com\n")
    result = counts(response)
    assert result["Added"] == 2 and result["Already there"] == 1 and result["Confirmed"] == 0
    assert result["Skipped"] == 1 and result["Confirmation mails"] == 2
    assert problems(response, "skipped") == [(3, "Unsubscribed here: not resubscribed.")]
    found = _subscribers(app)
    assert found["waiting@example.com"].status == "pending"
    assert found["new1@example.com"].confirmation_sent_at is not None
    with app.app_context():
        mails = {(m.recipient, m.subscriber_id, m.state, m.kind) for m in OutboundMail.query}
    assert mails == {(email, found[email].id, "queued", "confirm")
                     for email in ("new1@example.com", "new2@example.com")}
