"""Retention: mail records older than the setting go, recent ones and work in flight stay."""
from datetime import timedelta

import pytest

from statusmail.extensions import db
from statusmail.models import (
    CapturedMail, Delivery, Notification, OutboundMail, SiteSettings, Subscriber, utcnow,
)
from statusmail.services import retention

OLD = timedelta(days=31)
RECENT = timedelta(days=29)


def _notification(age, state, subscribers, label):
    notification = Notification(kind="incident_created", subject=label, state=state,
                                total=len(subscribers), created_at=utcnow() - age)
    db.session.add(notification)
    db.session.flush()
    db.session.add_all(Delivery(notification_id=notification.id, subscriber_id=s.id,
                                state="sent" if state == "completed" else "queued")
                       for s in subscribers)
    return notification


@pytest.fixture
def history(app):
    """Rows on both sides of a 30-day retention, written with their timestamps directly."""
    with app.app_context():
        SiteSettings.get().delivery_retention_days = 30
        subscribers = [Subscriber(email=f"r{i}@example.com", status="confirmed") for i in range(5)]
        db.session.add_all(subscribers)
        db.session.flush()
        _notification(OLD, "completed", subscribers, "old completed")
        _notification(OLD, "cancelled", subscribers[:2], "old cancelled")
        _notification(OLD * 3, "sending", subscribers, "old still sending")
        _notification(OLD * 3, "paused", subscribers[:1], "old paused")
        _notification(RECENT, "completed", subscribers, "recent completed")
        for age, state, who in [(OLD, "sent", "old-sent"), (OLD, "failed", "old-failed"),
                                (OLD, "queued", "old-queued"), (RECENT, "sent", "recent-sent")]:
            db.session.add(OutboundMail(kind="test", recipient=f"{who}@example.com", state=state,
                                        created_at=utcnow() - age))
        for age, who in [(OLD, "old"), (RECENT, "recent")]:
            db.session.add(CapturedMail(sender="s@example.com", recipient=f"{who}@example.com",
                                        subject=who, raw=b"x", created_at=utcnow() - age))
        db.session.commit()


def _remaining(app):
    with app.app_context():
        notifications = {n.subject: n.deliveries.count() for n in Notification.query}
        outbound = {m.recipient.split("@")[0] for m in OutboundMail.query}
        captured = {m.subject for m in CapturedMail.query}
        deliveries = Delivery.query.count()
        return notifications, outbound, captured, deliveries


def test_old_rows_go_recent_and_unfinished_stay(app, history):
    with app.app_context():
        deleted = retention.prune_expired_rows()
    assert deleted == {"notifications": 2, "deliveries": 7, "outbound_mail": 2,
                       "captured_mail": 1, "audit_events": 0}
    notifications, outbound, captured, deliveries = _remaining(app)
    assert notifications == {"old still sending": 5, "old paused": 1, "recent completed": 5}
    assert deliveries == 11
    assert outbound == {"old-queued", "recent-sent"}
    assert captured == {"recent"}
    with app.app_context():
        assert Subscriber.query.count() == 5  # deleting history never deletes people


def test_small_batches_delete_everything_due(app, history, monkeypatch):
    monkeypatch.setattr(retention, "ROW_BATCH", 2)
    monkeypatch.setattr(retention, "NOTIFICATION_BATCH", 1)
    with app.app_context():
        deleted = retention.prune_expired_rows()
    assert deleted["deliveries"] == 7 and deleted["notifications"] == 2
    assert deleted["outbound_mail"] == 2
    assert _remaining(app)[3] == 11


def test_a_longer_retention_keeps_more(app, history):
    with app.app_context():
        SiteSettings.get().delivery_retention_days = 365
        db.session.commit()
        assert sum(retention.prune_expired_rows().values()) == 0
    assert len(_remaining(app)[0]) == 5


def test_scheduler_prunes_at_most_once_an_hour(app, history):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["scheduler", "--once"]).exit_code == 0
    assert "old completed" not in _remaining(app)[0]
    with app.app_context():
        db.session.add(CapturedMail(sender="s@example.com", recipient="late@example.com",
                                    subject="late", raw=b"x", created_at=utcnow() - OLD))
        db.session.commit()
    assert runner.invoke(args=["scheduler", "--once"]).exit_code == 0
    assert "late" in _remaining(app)[2]  # the hour has not passed
    app.extensions["redis"].delete(retention.HOURLY_KEY)  # as if it had
    assert runner.invoke(args=["scheduler", "--once"]).exit_code == 0
    assert "late" not in _remaining(app)[2]
