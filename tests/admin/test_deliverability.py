"""The deliverability dashboard, with figures from a real fan-out.

A notice goes to real subscribers through a real RQ worker and an aiosmtpd server that
refuses some recipients; one subscriber unsubscribes with the mail's one-click link.
The page must show what happened, read from the counters the database kept meanwhile.
"""
import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import insert

from statusmail.extensions import db
from statusmail.models import DailyCount, NotificationCount, utcnow
from statusmail.services.deliverability import charts
from tests.fanout.helpers import add_subscribers, enable_notifications, publish_incident

PAGE = "/admin/deliverability"


def _figure(html, scope, name):
    """The number in ``data-figure=name`` inside the element with ``scope`` (an id or a
    ``data-notification`` row)."""
    start = html.index(scope)
    found = re.search(rf'data-figure="{name}"[^>]*>([^<]+)<', html[start:])
    return found.group(1).strip()


def _notice_row(html, notification_id):
    return f'data-notification="{notification_id}"'


def test_the_dashboard_shows_a_real_fanout(app, smtp, run_jobs, admin_client, client):
    enable_notifications(app)
    add_subscribers(app, 18)
    refused = add_subscribers(app, 2, prefix="gone")
    for address in refused:
        smtp.rcpt_replies[address] = "550 5.1.1 No such user"
    notification = publish_incident(app, title="Database outage")
    run_jobs()
    assert len(smtp.messages) == 18

    # One recipient stops the mail with the message's one-click link.
    one_click = smtp.messages[0].message["List-Unsubscribe"].strip("<>")
    assert client.post(urlsplit(one_click).path, data={"List-Unsubscribe": "One-Click"}).status_code == 200

    page = admin_client.get(PAGE)
    assert page.status_code == 200
    html = page.text
    totals = 'id="period-totals"'
    assert _figure(html, totals, "sent") == "18"
    assert _figure(html, totals, "failed") == "2"
    assert _figure(html, totals, "bounced") == "2"
    assert _figure(html, totals, "bounce-rate") == "10.00%"
    assert _figure(html, totals, "new") == "20"
    assert _figure(html, totals, "confirmed") == "20"
    assert _figure(html, totals, "unsubscribed") == "1"
    row = _notice_row(html, notification)
    assert _figure(html, row, "sent") == "18" and _figure(html, row, "failed") == "2"
    assert _figure(html, row, "bounced") == "2" and _figure(html, row, "bounce-rate") == "10.0%"
    # 10 % of the notice bounced: the page says so; complaints are none.
    assert 'data-warning="bounces"' in html and "Database outage" in html
    assert 'data-warning="complaints"' not in html
    # Charts are drawn here, titled, and readable as tables.
    assert html.count("<svg viewBox") == 3 and 'role="img"' in html
    today = utcnow().date().isoformat()
    assert f"<title>{today}: 18 sent</title>" in html
    assert f"<title>{today}: 2 failed</title>" in html
    assert "Mail per day, last 30 days as a table" in html


def test_complaints_near_the_limit_warn(app, admin_client):
    with app.app_context():
        today = utcnow().date()
        db.session.execute(insert(DailyCount), [
            {"day": today - timedelta(days=3), "metric": "sent", "shard": 0, "total": 5000},
            {"day": today - timedelta(days=2), "metric": "complaint", "shard": 1, "total": 11},
            # Outside the 30 days: not counted.
            {"day": today - timedelta(days=40), "metric": "complaint", "shard": 0, "total": 500},
        ])
        db.session.commit()
    html = admin_client.get(PAGE).text
    assert 'data-warning="complaints"' in html and "0.22%" in html
    assert _figure(html, 'id="period-totals"', "complaint") == "11"
    ninety = admin_client.get(PAGE + "?days=90").text
    assert _figure(ninety, 'id="period-totals"', "complaint") == "511"
    assert "Mail per day, last 90 days" in ninety


def test_below_the_warning_nothing_is_said(app, admin_client):
    with app.app_context():
        today = utcnow().date()
        db.session.execute(insert(DailyCount), [
            {"day": today, "metric": "sent", "shard": 0, "total": 5000},
            {"day": today, "metric": "complaint", "shard": 0, "total": 9},
        ])
        db.session.commit()
    assert 'data-warning=' not in admin_client.get(PAGE).text


@pytest.mark.parametrize("query", ["?days=7", "?days=-1", "?days=x", "?after=abc",
                                   "?before=99999999999999999999"])
def test_odd_queries_read_as_the_default(admin_client, query):
    page = admin_client.get(PAGE + query)
    assert page.status_code == 200 and "Last 30 days" in page.text


def test_the_chart_axis_is_round_and_holds_the_highest_bar():
    chart = charts.bar_chart("c", "t", "d", ["2026-01-01", "2026-01-02"],
                             [charts.Series("sent", "#000", (3, 17))])
    assert [text for _, text in chart.y_ticks] == ["0", "5", "10", "15", "20"]
    highest = min(bar.y for bar in chart.bars)
    assert highest >= chart.y_ticks[-1][0]
    rates = charts.bar_chart("r", "t", "d", ["2026-01-01"],
                             [charts.Series("rate", "#000", (0.0,))], percent=True,
                             limit=(0.003, "limit"))
    assert rates.y_ticks[-1][1] == "0.40%" and rates.limit[0] > rates.y_ticks[-1][0]


def test_a_notice_counter_is_shown_per_notice(app, admin_client):
    enable_notifications(app)
    add_subscribers(app, 1)
    notification = publish_incident(app)
    with app.app_context():
        db.session.execute(insert(NotificationCount), [
            {"notification_id": notification, "metric": "complaint", "shard": 2, "total": 1}])
        db.session.commit()
    html = admin_client.get(PAGE).text
    assert _figure(html, _notice_row(html, notification), "complaint") == "1"


def test_provider_events_count_per_day_and_notice(app, admin_client, run_jobs):
    """A notice through SendGrid, then its webhook events: a bounce and a spam report
    about two of its deliveries (named by the custom_args SendGrid got), a deferral that
    is not counted. They land on their day and their notice."""
    from statusmail.models import ProviderEvent
    from tests.fanout.test_sendgrid_batches import KEY, use_sendgrid
    from tests.mail.sendgrid_double import SendGridDouble

    double = SendGridDouble(KEY).start()
    try:
        use_sendgrid(app, double)
        enable_notifications(app)
        add_subscribers(app, 8)
        notification = publish_incident(app, title="Login failures")
        run_jobs()
        accepted = double.accepted()
    finally:
        double.stop()
    assert len(accepted) == 8
    yesterday = utcnow() - timedelta(days=1)
    with app.app_context():
        for number, (event, (to, person, _)) in enumerate(
                zip(("bounce", "spamreport", "deferred"), accepted)):
            db.session.add(ProviderEvent(
                sg_event_id=f"event-{number}", event=event, email=to, occurred_at=yesterday,
                notification_id=int(person["custom_args"]["notification_id"]),
                delivery_id=int(person["custom_args"]["delivery_id"])))
        db.session.commit()
    html = admin_client.get(PAGE).text
    row = _notice_row(html, notification)
    assert _figure(html, row, "sent") == "8"
    assert _figure(html, row, "bounced") == "1" and _figure(html, row, "complaint") == "1"
    assert _figure(html, row, "complaint-rate") == "12.50%"
    totals = 'id="period-totals"'
    assert _figure(html, totals, "bounced") == "1" and _figure(html, totals, "complaint") == "1"
    day = yesterday.date().isoformat()
    assert f"<title>{day}: 0.00% complaint rate</title>" in html  # nothing was sent that day
    # 1 complaint in 8 sent over 30 days: far over the limit.
    assert 'data-warning="complaints"' in html and 'data-warning="bounces"' in html


def test_a_suppression_counts_on_its_day(app, admin_client):
    from statusmail.services.suppressions import add_by_operator
    with app.app_context():
        add_by_operator("someone@example.org", "asked by phone", by="admin@example.com")
    html = admin_client.get(PAGE).text
    assert _figure(html, 'id="period-totals"', "suppressed") == "1"
