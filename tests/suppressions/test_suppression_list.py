"""A suppressed address gets no mail of any kind, whoever asks and however it comes back."""
from sqlalchemy import delete, select

from statusmail.extensions import db
from statusmail.models import OutboundMail, Subscriber, Suppression
from statusmail.services import subscriptions, suppressions
from tests.admin.test_subscriber_csv import counts, upload
from tests.fanout.helpers import (
    add_subscribers, delivery_states, enable_notifications, publish_incident, recipients,
)
from tests.support import web


def _status(app, email):
    with app.app_context():
        return db.session.scalar(select(Subscriber.status).where(Subscriber.email == email))


def test_suppressing_moves_the_subscriber_out_and_no_notice_reaches_them(app, smtp, run_jobs):
    enable_notifications(app)
    kept, spam, gone = add_subscribers(app, 3)
    with app.app_context():
        row, created = suppressions.suppress(" User1@Example.ORG ", "spam_report", "webhook",
                                             detail="spam report")
        assert created and row.email == spam and row.subscriber_id is not None
        again, created_again = suppressions.suppress(spam, "hard_bounce", "webhook")
        assert not created_again and again.id == row.id and again.reason == "spam_report"
        suppressions.suppress(gone, "hard_bounce", "webhook", detail="550 no such user")
    assert _status(app, spam) == "unsubscribed"  # a person's choice
    assert _status(app, gone) == "bounced"  # the mailbox refuses our mail
    with app.app_context():
        assert Subscriber.query.filter_by(email=gone).one().last_bounce == "550 no such user"

    notification = publish_incident(app)
    run_jobs()
    assert recipients(smtp) == [kept]
    assert delivery_states(app, notification) == {"sent": 1}


def test_a_batch_holds_back_an_address_suppressed_while_its_subscriber_is_confirmed(
        app, smtp, run_jobs):
    """Another path (an import, an operator) may confirm a subscriber whose address is
    suppressed; the batch checks the list itself just before sending."""
    enable_notifications(app)
    kept, blocked = add_subscribers(app, 2)
    with app.app_context():
        suppressions.suppress(blocked, "operator", "operator")
        Subscriber.query.filter_by(email=blocked).one().status = "confirmed"
        db.session.commit()
    notification = publish_incident(app)
    run_jobs()
    assert recipients(smtp) == [kept]
    assert delivery_states(app, notification) == {"sent": 1, "skipped": 1}


def test_a_suppressed_address_signing_up_gets_the_same_answer_and_no_mail(
        app, client, smtp, run_jobs):
    with app.app_context():
        suppressions.suppress("victim@example.com", "not_me", "subscriber")
    for address in ("victim@example.com", "someone@example.com"):
        page = web.submit(client, "/subscribe", {"email": address})
        assert page.status_code == 200 and "Check your inbox" in page.text
    run_jobs()
    assert [m.rcpt_tos for m in smtp.messages] == [["someone@example.com"]]
    assert _status(app, "victim@example.com") is None  # no row was made for it


def test_the_list_outlives_the_subscriber_and_a_lift_does_not_resubscribe(
        app, client, smtp, run_jobs):
    with app.app_context():
        assert subscriptions.request_subscription("back@example.com") == "created"
        subscriber_id = Subscriber.query.filter_by(email="back@example.com").one().id
        suppressions.suppress("back@example.com", "spam_report", "webhook")
        # The confirmation already queued is not sent: the job checks the list.
    run_jobs()
    assert smtp.messages == []
    with app.app_context():
        mail = OutboundMail.query.one()
        assert mail.state == "cancelled" and "suppression list" in mail.result_message
        db.session.execute(delete(Subscriber).where(Subscriber.id == subscriber_id))
        db.session.commit()
        entry = Suppression.query.one()
        assert entry.subscriber_id is None and entry.active
        assert subscriptions.request_subscription("back@example.com") == "suppressed"

        lifted = suppressions.lift(entry.id, by="Admin@Example.com", note="asked by phone")
        assert lifted.subscriber_status is None and "No subscriber" in lifted.describe()
        assert lifted.suppression.lifted_by == "admin@example.com"
        assert not suppressions.is_suppressed("back@example.com")
        try:
            suppressions.lift(entry.id, by="admin@example.com")
        except suppressions.NotSuppressed:
            pass
        else:
            raise AssertionError("a lifted suppression was lifted twice")
        # Lifted, the address may sign up again like anyone (and a new row is kept apart).
        assert subscriptions.request_subscription("back@example.com") == "created"
        suppressions.suppress("back@example.com", "operator", "operator")
        assert Suppression.query.count() == 2
        assert suppressions.suppressed_among(["BACK@example.com", "x@example.com"]) == {
            "back@example.com"}
    run_jobs()
    assert smtp.messages == []


def test_a_lift_leaves_the_subscriber_unsubscribed(app):
    (email,) = add_subscribers(app, 1)
    with app.app_context():
        entry, _ = suppressions.suppress(email, "operator", "operator")
        lifted = suppressions.lift(entry.id, by="admin@example.com")
        assert lifted.subscriber_status == "unsubscribed"
        assert "stays unsubscribed" in lifted.describe()
    assert _status(app, email) == "unsubscribed"


def test_an_import_does_not_bring_a_suppressed_address_back(app, admin_client, run_jobs):
    with app.app_context():
        suppressions.suppress("blocked@example.com", "hard_bounce", "webhook")
    result = upload(admin_client, "email\nblocked@example.com\nfresh@example.com\n")
    assert counts(result)["Skipped"] == 1
    assert "On the suppression list" in result.text
    assert _status(app, "blocked@example.com") is None
    assert _status(app, "fresh@example.com") == "pending"
    with app.app_context():
        assert [m.recipient for m in OutboundMail.query] == ["fresh@example.com"]
