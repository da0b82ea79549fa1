"""``flask backfill-deliverability`` on an upgraded install, read back on the dashboard.

An install with a past: a notice went out days ago through a real worker and SMTP
server (two recipients refused), a subscriber unsubscribed with the mail's one-click
link, an address was suppressed, SendGrid reported a bounce and a spam complaint. The
upgrade is simulated by moving those rows' times to earlier days and deleting what the
triggers counted of them. Then a notice goes out today, counted by the triggers. The
command fills the earlier days; the page must show, day by day, what the rows say.
"""
import re
from collections import Counter
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from sqlalchemy import delete, func, select, update

from statusmail.extensions import db
from statusmail.models import (AuditEvent, DailyCount, Delivery, Notification,
                               NotificationCount, ProviderEvent, Subscriber, Suppression,
                               utcnow)
from statusmail.services.deliverability.dashboard import rate
from tests.fanout.helpers import add_subscribers, enable_notifications, publish_incident

PAGE = "/admin/deliverability"
COMMAND = ["backfill-deliverability"]
SERIES = {"sent": "sent", "failed": "failed", "new": "new", "confirmed": "confirmed",
          "unsubscribed": "unsubscribed", "suppressed": "suppressed"}


def _bar_titles(html):
    """``{(day, series name): figure}`` from every bar's ``<title>``."""
    return {(day, name): figure for day, figure, name in
            re.findall(r"<title>(\d{4}-\d\d-\d\d): ([\d.,%]+) ([a-z ]+)</title>", html)}


def _figure(html, name):
    start = html.index('id="period-totals"')
    return re.search(rf'data-figure="{name}"[^>]*>([^<]+)<', html[start:]).group(1).strip()


def _notice_figure(html, notification_id, name):
    start = html.index(f'data-notification="{notification_id}"')
    return re.search(rf'data-figure="{name}"[^>]*>([^<]+)<', html[start:]).group(1).strip()


def _counts_from_rows(app):
    """Per UTC day and metric, counted from the rows themselves (in Python, one by one)."""
    counts = Counter()
    with app.app_context():
        for delivery in db.session.scalars(select(Delivery)):
            if delivery.state == "sent":
                counts[delivery.sent_at.date(), "sent"] += 1
            if delivery.state == "failed":
                counts[delivery.updated_at.date(), "failed"] += 1
                if 500 <= (delivery.smtp_code or 0) <= 599:
                    counts[delivery.updated_at.date(), "bounced"] += 1
        for event in db.session.scalars(select(ProviderEvent)):
            metric = {"bounce": "bounced", "spamreport": "complaint"}.get(event.event)
            if metric:
                counts[event.occurred_at.date(), metric] += 1
        for subscriber in db.session.scalars(select(Subscriber)):
            counts[subscriber.created_at.date(), "new"] += 1
            if subscriber.confirmed_at:
                counts[subscriber.confirmed_at.date(), "confirmed"] += 1
            if subscriber.status == "unsubscribed":
                counts[subscriber.unsubscribed_at.date(), "unsubscribed"] += 1
        for suppression in db.session.scalars(select(Suppression)):
            counts[suppression.created_at.date(), "suppressed"] += 1
    return counts


def _all_counters(app):
    with app.app_context():
        return (sorted(db.session.execute(select(DailyCount.day, DailyCount.metric,
                                                 DailyCount.shard, DailyCount.total))),
                sorted(db.session.execute(select(NotificationCount.notification_id,
                                                 NotificationCount.metric,
                                                 NotificationCount.shard,
                                                 NotificationCount.total))))


def _an_install_with_a_past(app, smtp, run_jobs, client):
    """The old notice's id, after its rows were moved days back and their counts deleted."""
    from statusmail.services.suppressions import add_by_operator
    enable_notifications(app)
    add_subscribers(app, 6)
    refused = add_subscribers(app, 2, prefix="gone")
    for address in refused:
        smtp.rcpt_replies[address] = "550 5.1.1 No such user"
    old = publish_incident(app, title="Last week's outage")
    run_jobs()
    assert len(smtp.messages) == 6
    one_click = smtp.messages[0].message["List-Unsubscribe"].strip("<>")
    assert client.post(urlsplit(one_click).path,
                       data={"List-Unsubscribe": "One-Click"}).status_code == 200
    with app.app_context():
        add_by_operator("asked@example.org", "asked by phone", by="admin@example.com")
        now = utcnow()
        days_ago = lambda n: now - timedelta(days=n)  # noqa: E731
        # Subscribed ten days ago, confirmed nine; the notice five days ago, half its
        # mail then, the rest (and the refusals) the day after.
        db.session.execute(update(Subscriber).values(
            created_at=days_ago(10), confirmed_at=days_ago(9)))
        db.session.execute(update(Subscriber).where(Subscriber.unsubscribed_at.isnot(None))
                           .values(unsubscribed_at=days_ago(3)))
        db.session.execute(update(Notification).values(created_at=days_ago(5)))
        ids = db.session.scalars(select(Delivery.id).order_by(Delivery.id)).all()
        db.session.execute(update(Delivery).where(Delivery.id.in_(ids[:3]))
                           .values(sent_at=days_ago(5), updated_at=days_ago(5)))
        db.session.execute(update(Delivery).where(Delivery.id.in_(ids[3:]))
                           .values(sent_at=days_ago(4), updated_at=days_ago(4)))
        db.session.execute(update(Suppression).values(created_at=days_ago(3)))
        deliveries = db.session.scalars(select(Delivery).where(Delivery.state == "sent")
                                        .order_by(Delivery.id).limit(2)).all()
        for number, (event, delivery) in enumerate(zip(("bounce", "spamreport"), deliveries)):
            db.session.add(ProviderEvent(
                sg_event_id=f"old-{number}", event=event, email=f"user{number}@example.org",
                occurred_at=days_ago(2), notification_id=old, delivery_id=delivery.id))
        db.session.flush()
        # Before the upgrade nothing was counted.
        db.session.execute(delete(DailyCount))
        db.session.execute(delete(NotificationCount))
        db.session.commit()
    return old


def test_backfill_fills_the_days_before_counting_began(app, smtp, run_jobs, admin_client,
                                                       client):
    old = _an_install_with_a_past(app, smtp, run_jobs, client)
    # After the upgrade: new subscribers and a notice today, counted by the triggers,
    # one more refused (a per-notice counter: that notice is not filled again).
    add_subscribers(app, 3, prefix="today")
    smtp.rcpt_replies["today0@example.org"] = "550 5.1.1 No such user"
    new = publish_incident(app, title="Today's outage")
    run_jobs()
    today = utcnow().date()
    daily_before, notices_before = _all_counters(app)
    counted_today = [row for row in daily_before if row[0] == today]
    assert counted_today and all(row[0] == today for row in daily_before)

    before = admin_client.get(PAGE).text
    assert 'id="counting-began"' in before
    assert f"Counting began on {today.isoformat()}; days before show nothing." in before
    assert _bar_titles(before)[(today - timedelta(days=5)).isoformat(), "sent"] == "0"

    result = app.test_cli_runner().invoke(args=COMMAND)
    assert result.exit_code == 0, result.output
    expected = _counts_from_rows(app)
    past = {key: n for key, n in expected.items() if key[0] < today}
    assert f"Filled {len({day for day, _ in past})} days before {today.isoformat()}" \
        in result.output
    for metric in ("sent", "failed", "bounced", "complaint", "new", "confirmed",
                   "unsubscribed", "suppressed"):
        total = sum(n for (_, m), n in past.items() if m == metric)
        assert re.search(rf"^  {metric} +{total:,} on ", result.output, re.M), result.output
    assert "Bounces and complaints of 1 notice that had none counted." in result.output
    with app.app_context():
        entry = db.session.scalars(select(AuditEvent).where(
            AuditEvent.kind == "deliverability_backfilled")).one()
        assert entry.actor_label == "system" and entry.detail["totals"]["sent"] == 6

    daily_after, notices_after = _all_counters(app)
    assert [row for row in daily_after if row[0] == today] == counted_today
    assert [row for row in notices_after if row[0] == new] == \
        [row for row in notices_before if row[0] == new]

    html = admin_client.get(PAGE).text
    assert 'id="counting-began"' not in html
    bars = _bar_titles(html)
    counted = Counter()
    for day, metric, _, total in daily_after:
        counted[day, metric] += total
    for offset in range(30):
        day = today - timedelta(days=offset)
        label = day.isoformat()
        # Past days as the rows say; today as the triggers counted it.
        figures = expected if day < today else counted
        for metric, name in SERIES.items():
            assert bars[label, name] == f"{figures[day, metric]:,}", (label, metric)
        attempted = figures[day, "sent"] + figures[day, "failed"]
        assert bars[label, "bounce rate"] == f"{rate(figures[day, 'bounced'], attempted):.2%}"
        assert bars[label, "complaint rate"] == \
            f"{rate(figures[day, 'complaint'], figures[day, 'sent']):.2%}"
    # The days the old notice went out, spelled out: 3 sent, then 3 sent and 2 refused.
    assert bars[(today - timedelta(days=5)).isoformat(), "sent"] == "3"
    assert bars[(today - timedelta(days=4)).isoformat(), "failed"] == "2"
    assert _figure(html, "bounced") == f"{2 + 1 + counted[today, 'bounced']:,}"
    assert _figure(html, "complaint") == "1"
    # The old notice: its two refusals and SendGrid's bounce, and the complaint.
    assert _notice_figure(html, old, "bounced") == "3"
    assert _notice_figure(html, old, "complaint") == "1"
    # Today's notice as the triggers counted it: today0 and the two old refusals again.
    assert _notice_figure(html, new, "bounced") == "3" == \
        str(sum(row[3] for row in notices_before if row[0] == new))

    again = app.test_cli_runner().invoke(args=COMMAND)
    assert again.exit_code == 0, again.output
    assert "Nothing to fill" in again.output
    assert _all_counters(app) == (daily_after, notices_after)
    with app.app_context():  # a run that fills nothing records nothing
        assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.kind == "deliverability_backfilled")) == 1


def test_the_first_counted_day_is_not_filled(app, admin_client):
    """Rows of the day counting began are the triggers' alone (the day may be partial):
    a delivery sent that day before the upgrade stays uncounted, and nothing doubles."""
    enable_notifications(app)
    add_subscribers(app, 2)
    with app.app_context():
        first_counted = utcnow().date() - timedelta(days=1)
        started = datetime.combine(first_counted, datetime.min.time())
        db.session.execute(update(Subscriber).values(created_at=started,
                                                     confirmed_at=started))
        db.session.execute(delete(DailyCount))
        db.session.add(DailyCount(day=first_counted, metric="new", shard=3, total=1))
        db.session.commit()
    result = app.test_cli_runner().invoke(args=COMMAND)
    assert result.exit_code == 0 and "Nothing to fill" in result.output
    with app.app_context():
        assert db.session.execute(select(DailyCount.day, DailyCount.metric,
                                         DailyCount.total)).all() == [(first_counted, "new", 1)]


def test_an_empty_install_has_nothing_to_fill(app, admin_client):
    result = app.test_cli_runner().invoke(args=COMMAND)
    assert result.exit_code == 0, result.output
    assert f"Nothing to fill: counting began on {utcnow().date().isoformat()}" in result.output
    assert 'id="counting-began"' not in admin_client.get(PAGE).text
    with app.app_context():
        assert db.session.scalar(select(DailyCount.day)) is None


def test_a_notice_nobody_received_is_marked_filled(app, admin_client):
    """A notice published before anyone subscribed leaves no row to count: the command
    marks its day, and the page stops offering the command."""
    enable_notifications(app)
    old = publish_incident(app, title="Before anyone subscribed")
    with app.app_context():
        db.session.execute(update(Notification).where(Notification.id == old)
                           .values(created_at=utcnow() - timedelta(days=7)))
        db.session.commit()
    assert 'id="counting-began"' in admin_client.get(PAGE).text
    result = app.test_cli_runner().invoke(args=COMMAND)
    assert result.exit_code == 0 and "Nothing to fill" in result.output
    html = admin_client.get(PAGE).text
    assert 'id="counting-began"' not in html and _figure(html, "sent") == "0"
    assert app.test_cli_runner().invoke(args=COMMAND).exit_code == 0
    with app.app_context():
        assert db.session.execute(select(DailyCount.metric, DailyCount.total)).all() == \
            [("sent", 0)]
