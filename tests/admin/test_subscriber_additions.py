"""Adding one subscriber from the admin (a confirmation mail, or confirmed with a consent
note), marking a pending one confirmed, and both in the subscriber's history."""
import re

from statusmail.models import AuditEvent, OutboundMail, Subscriber, SubscriberEvent
from tests.public.support import confirm_path
from tests.support import web


def _row(app, email):
    with app.app_context():
        row = Subscriber.query.filter_by(email=email).one_or_none()
        if row is not None:
            return {"id": row.id, "status": row.status, "source": row.source,
                    "events": [(e.kind, e.actor, e.consent_note) for e in
                               SubscriberEvent.query.filter_by(subscriber_id=row.id)]}


def test_add_with_a_confirmation_mail(app, admin_client, smtp, run_jobs):
    added = web.submit(admin_client, "/admin/subscribers/new",
                       {"email": " New@Example.com ", "confirm": "send"})
    assert added.status_code == 302
    row = _row(app, "new@example.com")
    assert row["status"] == "pending" and row["source"] == "admin"
    assert row["events"] == [("added", web.ADMIN_EMAIL, None)]
    run_jobs()
    path = confirm_path(smtp, "new@example.com")
    page = admin_client.get(added.headers["Location"])
    assert "a confirmation mail is on its way" in page.text
    assert "Added; a confirmation mail was sent, by " + web.ADMIN_EMAIL in page.text
    assert "Mark confirmed" in page.text
    # The person confirms by mail as usual.
    person = app.test_client()
    confirm = person.get(path)
    person.post(path, data={"csrf_token": web.csrf_token(confirm.text)})
    assert _row(app, "new@example.com")["status"] == "confirmed"
    assert "— Confirmed" in admin_client.get(added.headers["Location"]).text


def test_add_confirmed_needs_a_consent_note_and_keeps_it(app, admin_client):
    refused = web.submit(admin_client, "/admin/subscribers/new",
                         {"email": "phone@example.com", "confirm": "skip", "consent_note": " "})
    assert refused.status_code == 400 and "consent note" in refused.text
    assert _row(app, "phone@example.com") is None

    added = web.submit(admin_client, "/admin/subscribers/new",
                       {"email": "phone@example.com", "confirm": "skip",
                        "consent_note": "asked by phone 2026-12-01"})
    assert added.status_code == 302
    row = _row(app, "phone@example.com")
    assert row["status"] == "confirmed"
    assert row["events"] == [("added", web.ADMIN_EMAIL, "asked by phone 2026-12-01")]
    page = admin_client.get(added.headers["Location"]).text
    assert "Added and marked confirmed, without a confirmation mail" in page
    assert "asked by phone 2026-12-01" in page and "— Confirmed" not in page
    with app.app_context():
        assert OutboundMail.query.count() == 0
        assert AuditEvent.query.filter_by(kind="subscriber_added").count() == 1


def test_existing_address_is_not_added_twice(app, admin_client):
    web.submit(admin_client, "/admin/subscribers/new", {"email": "dup@example.com",
                                                        "confirm": "send"})
    again = web.submit(admin_client, "/admin/subscribers/new",
                       {"email": "DUP@example.com", "confirm": "skip", "consent_note": "x"},
                       follow_redirects=True)
    assert "dup@example.com is already a subscriber (pending)" in again.text
    assert _row(app, "dup@example.com")["status"] == "pending"


def test_invalid_input_is_explained(app, admin_client):
    for data, message in [({"email": "nope", "confirm": "send"}, "@-sign"),
                          ({"email": "a@example.com", "confirm": "maybe"}, "Not a valid choice"),
                          ({"email": "a@example.com", "confirm": "skip",
                            "consent_note": "x" * 501}, "500 characters"),
                          ({"email": "a@example.com", "confirm": "skip",
                            "consent_note": "ok\x00"}, "U+0000")]:
        answer = web.submit(admin_client, "/admin/subscribers/new", data)
        assert answer.status_code == 400 and message in answer.text, message
    assert _row(app, "a@example.com") is None


def test_mark_a_pending_subscriber_confirmed(app, admin_client):
    with app.app_context():
        from statusmail.extensions import db
        row = Subscriber(email="waiting@example.com", status="pending")
        db.session.add(row)
        db.session.commit()
        sid = row.id
    detail = f"/admin/subscribers/{sid}"
    page = admin_client.get(detail)
    action = re.search(r'action="(/admin/subscribers/\d+/mark-confirmed)"', page.text).group(1)
    empty = admin_client.post(action, data={"csrf_token": web.csrf_token(page.text),
                                            "consent_note": ""}, follow_redirects=True)
    assert "consent note" in empty.text and _row(app, "waiting@example.com")["status"] == "pending"
    done = admin_client.post(action, data={"csrf_token": web.csrf_token(page.text),
                                           "consent_note": "signed up at the stand"},
                             follow_redirects=True)
    assert "waiting@example.com is confirmed" in done.text
    assert "Marked confirmed, without a confirmation mail, by " + web.ADMIN_EMAIL in done.text
    assert "signed up at the stand" in done.text and "Mark confirmed</button>" not in done.text
    assert _row(app, "waiting@example.com")["events"] == [
        ("marked_confirmed", web.ADMIN_EMAIL, "signed up at the stand")]
    # Only pending subscribers can be marked.
    again = admin_client.post(action, data={"csrf_token": web.csrf_token(page.text),
                                            "consent_note": "again"}, follow_redirects=True)
    assert "only a pending subscriber can be marked confirmed" in again.text


def test_removing_a_subscriber_removes_their_history(app, admin_client):
    added = web.submit(admin_client, "/admin/subscribers/new",
                       {"email": "bye@example.com", "confirm": "skip", "consent_note": "x"})
    sid = int(added.headers["Location"].rsplit("/", 1)[1])
    web.submit(admin_client, f"/admin/subscribers/{sid}/remove", {})
    with app.app_context():
        assert SubscriberEvent.query.count() == 0 and Subscriber.query.count() == 0
