"""The suppression list in the admin: search, add, lift (recorded), and the webhook key."""
import re

from statusmail.extensions import db
from statusmail.models import AuditEvent, EventWebhookSettings, Subscriber, Suppression
from statusmail.services import suppressions
from tests.fanout.helpers import add_subscribers
from tests.suppressions.signing import SendGridSigner
from tests.support import web


def test_an_operator_adds_searches_and_lifts_a_suppression(app, admin_client):
    (email,) = add_subscribers(app, 1)
    with app.app_context():
        suppressions.suppress("bounced@example.net", "hard_bounce", "webhook", detail="550")

    bad = web.submit(admin_client, "/admin/suppressions", {"email": "not an address"},
                     action="/admin/suppressions/new")
    assert bad.status_code == 400 and "error" in bad.text
    added = web.submit(admin_client, "/admin/suppressions",
                       {"email": email.upper(), "detail": "asked by phone"},
                       action="/admin/suppressions/new", follow_redirects=True)
    assert added.status_code == 200 and "no longer receives notices" in added.text
    with app.app_context():
        row = Suppression.query.filter_by(email=email).one()
        assert (row.reason, row.source, row.detail) == ("operator", "operator", "asked by phone")
        assert Subscriber.query.filter_by(email=email).one().status == "unsubscribed"
        row_id = row.id

    page = admin_client.get("/admin/suppressions?q=BOUNCED")
    assert "bounced@example.net" in page.text and email not in page.text
    page = admin_client.get("/admin/suppressions?reason=operator&source=operator")
    assert email in page.text and "bounced@example.net" not in page.text
    assert admin_client.get("/admin/suppressions?reason=junk&show=junk").status_code == 200

    detail = admin_client.get(f"/admin/suppressions/{row_id}")
    assert "stays unsubscribed" in detail.text
    lifted = web.submit(admin_client, f"/admin/suppressions/{row_id}", {"note": "mistake"},
                        follow_redirects=True)
    assert lifted.status_code == 200
    assert "The subscriber stays unsubscribed" in lifted.text
    with app.app_context():
        row = db.session.get(Suppression, row_id)
        assert row.lifted_at is not None and row.lifted_by == web.ADMIN_EMAIL
        assert row.lift_note == "mistake"
        assert Subscriber.query.filter_by(email=email).one().status == "unsubscribed"
    assert email not in admin_client.get("/admin/suppressions").text
    assert email in admin_client.get("/admin/suppressions?show=lifted").text
    with app.app_context():
        entries = [(e.kind, e.actor_email, e.detail.get("email")) for e in
                   AuditEvent.query.filter(AuditEvent.kind.like("suppression%"))
                   .order_by(AuditEvent.id)]
    assert entries == [("suppression_added", web.ADMIN_EMAIL, email),
                       ("suppression_lifted", web.ADMIN_EMAIL, email)]


def test_the_subscriber_page_says_the_address_is_suppressed(app, admin_client):
    (email,) = add_subscribers(app, 1)
    with app.app_context():
        suppressions.suppress(email, "spam_report", "webhook")
        subscriber_id = Subscriber.query.filter_by(email=email).one().id
    page = admin_client.get(f"/admin/subscribers/{subscriber_id}")
    assert "Suppressed" in page.text and "Spam report" in page.text


def test_the_webhook_key_is_checked_before_it_is_saved(app, admin_client):
    page = admin_client.get("/admin/event-webhook")
    assert "/webhooks/sendgrid" in page.text and "off" in page.text
    refused = web.submit(admin_client, "/admin/event-webhook", {"public_key": "bm90IGEga2V5"})
    assert refused.status_code == 400 and "not a public key" in refused.text
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
    rsa_pem = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key() \
        .public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode()
    refused = web.submit(admin_client, "/admin/event-webhook", {"public_key": rsa_pem})
    assert refused.status_code == 400 and "not an ECDSA P-256" in refused.text

    key = SendGridSigner().public_key_text
    saved = web.submit(admin_client, "/admin/event-webhook",
                       {"public_key": key[:40] + "\n" + key[40:]}, follow_redirects=True)
    assert saved.status_code == 200 and "signed events from SendGrid are accepted" in saved.text
    with app.app_context():
        assert EventWebhookSettings.get().sendgrid_public_key == key
    off = web.submit(admin_client, "/admin/event-webhook", {"public_key": ""},
                     follow_redirects=True)
    assert "refuses every request" in off.text
    with app.app_context():
        assert [e.actor_email for e in AuditEvent.query.filter_by(
            kind="event_webhook_key_changed")] == [web.ADMIN_EMAIL, web.ADMIN_EMAIL]


def test_the_delivery_log_shows_what_sendgrid_reported_on_a_notice(
        app, admin_client, smtp, run_jobs):
    from sqlalchemy import select

    from statusmail.models import Delivery
    from tests.fanout.helpers import enable_notifications, publish_incident
    from tests.suppressions.signing import event, install_key

    enable_notifications(app)
    first, second = add_subscribers(app, 2)
    notification = publish_incident(app)
    run_jobs()
    signer = SendGridSigner()
    install_key(app, signer.public_key_text)
    with app.app_context():
        delivery_id = db.session.scalar(select(Delivery.id).join(Delivery.subscriber)
                                        .where(Subscriber.email == first))
    page = admin_client.get(f"/admin/deliveries/{notification}")
    assert "SendGrid has reported no bounce" in page.text
    answer = signer.post(admin_client.application.test_client(), [
        event("bounce", first, type="blocked", status="5.7.1", reason="blocked by policy",
              delivery_id=delivery_id, notification_id=notification)])
    assert answer.status_code == 200
    page = admin_client.get(f"/admin/deliveries/{notification}")
    assert "Reported after sending" in page.text and f"delivery #{delivery_id}" in page.text
    assert "Blocked" in page.text and "blocked by policy" in page.text and second not in page.text
