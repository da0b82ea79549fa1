"""The delivery log: a notice published to real subscribers, sent by a real RQ worker to a
real SMTP server, then read and steered through the admin pages with CSRF tokens."""
import re
from datetime import timedelta

import pytest
from rq import SimpleWorker

from statusmail.extensions import db
from statusmail.fanout import publish_event
from statusmail.models import (
    Incident, IncidentUpdate, Notification, SiteSettings, Subscriber, utcnow,
)
from statusmail.services.timezones import format_local
from tests.fanout.helpers import expand_audience
from tests.support import web

BATCH = 2
BAD = "bounce@example.net"


@pytest.fixture
def app(make_app):
    """Small batches, so that one job sends part of a notice."""
    return make_app(FANOUT_BATCH_SIZE=BATCH)


@pytest.fixture
def subscribers(app, smtp):
    """Five confirmed subscribers (one the SMTP server will refuse) and notifications on."""
    with app.app_context():
        SiteSettings.get().notifications_enabled = True
        emails = [f"reader{n}@example.net" for n in range(4)] + [BAD]
        db.session.add_all(Subscriber(email=email, status="confirmed", confirmed_at=utcnow())
                           for email in emails)
        db.session.commit()
    return emails


def publish(app, title="Database outage"):
    with app.app_context():
        incident = Incident(title=title, impact="major", status="investigating")
        update = IncidentUpdate(incident=incident, status="investigating",
                                message="We are looking into it.")
        db.session.add_all([incident, update])
        db.session.flush()
        notification_id = publish_event("incident_created", incident=incident,
                                        incident_update=update).id
    return expand_audience(app, notification_id)


def run_one_job(app):
    from statusmail.queues import get_queue, redis_connection
    with app.app_context():
        SimpleWorker([get_queue("fanout")], connection=redis_connection()).work(
            burst=True, max_jobs=1, logging_level="WARNING")


def progress(client, notification_id):
    response = client.get(f"/admin/deliveries/{notification_id}.json")
    assert response.status_code == 200
    return response.json


def act(client, notification_id, action):
    page = f"/admin/deliveries/{notification_id}"
    return web.submit(client, page, {}, action=f"{page}/{action}", follow_redirects=True)


def state_of(app, notification_id):
    with app.app_context():
        return db.session.get(Notification, notification_id).state


def test_a_sent_notice_shows_100_percent_and_its_counts(app, admin_client, smtp, subscribers,
                                                        run_jobs):
    smtp.rcpt_replies[BAD] = "550 5.1.1 <bounce@example.net>: Recipient address rejected"
    notification_id = publish(app)
    run_jobs()
    smtp.wait_for(4)

    data = progress(admin_client, notification_id)
    assert data["done"] is True and data["state"] == "completed"
    assert data["percent"] == 100 and data["total"] == 5
    assert data["counts"]["sent"] == 4 and data["counts"]["failed"] == 1
    assert data["rate_per_sec"] > 0

    page = admin_client.get(f"/admin/deliveries/{notification_id}").text
    assert '<span data-field="percent">100</span>%' in page
    assert '<td data-count="sent">4</td>' in page and '<td data-count="failed">1</td>' in page
    assert "data-poll-url" not in page  # finished: nothing left to poll
    assert "550" in page and "Recipient address rejected" in page
    assert f'href="/admin/subscribers/{_subscriber_id(app, BAD)}"' in page
    assert "First mail accepted after" in page

    listing = admin_client.get("/admin/deliveries").text
    assert "Incident: Database outage" in listing
    assert 'href="/admin/rq/"' in listing
    assert 'data-percent="100"' in listing


def _subscriber_id(app, email):
    with app.app_context():
        return Subscriber.query.filter_by(email=email).one().id


def test_retry_failed_requeues_the_refused_recipient(app, admin_client, smtp, subscribers,
                                                     run_jobs):
    smtp.rcpt_replies[BAD] = "550 5.1.1 No such user"
    notification_id = publish(app)
    run_jobs()
    assert progress(admin_client, notification_id)["counts"]["failed"] == 1
    assert len(smtp.to(BAD)) == 0

    del smtp.rcpt_replies[BAD]  # the mailbox exists again
    page = act(admin_client, notification_id, "retry-failed")
    assert "1 failed delivery is queued again." in page.text
    data = progress(admin_client, notification_id)
    assert data["counts"]["queued"] == 1 and data["counts"]["failed"] == 0
    assert data["state"] == "sending" and data["done"] is False

    run_jobs()
    assert len(smtp.to(BAD)) == 1
    data = progress(admin_client, notification_id)
    assert data["counts"]["sent"] == 5 and data["done"] is True


def test_progress_while_partly_sent_then_pause_and_resume(app, admin_client, smtp,
                                                          subscribers, run_jobs):
    notification_id = publish(app)
    page = admin_client.get(f"/admin/deliveries/{notification_id}").text
    assert f'data-poll-url="/admin/deliveries/{notification_id}.json"' in page
    assert '<meta http-equiv="refresh" content="5">' in page  # inside <noscript>
    assert progress(admin_client, notification_id)["percent"] == 0

    run_one_job(app)  # one batch: BATCH of the five
    data = progress(admin_client, notification_id)
    assert data["counts"]["sent"] == BATCH and data["counts"]["queued"] == 5 - BATCH
    assert data["percent"] == 100 * BATCH / 5 and data["done"] is False

    assert "Sending is paused" in act(admin_client, notification_id, "pause").text
    assert state_of(app, notification_id) == "paused"
    run_jobs()  # the remaining jobs find the notice paused and send nothing
    data = progress(admin_client, notification_id)
    assert data["state"] == "paused" and data["counts"]["sent"] == BATCH
    assert data["percent"] == 40.0 and data["done"] is False
    assert len(smtp.messages) == BATCH
    page = admin_client.get(f"/admin/deliveries/{notification_id}").text
    assert ">Resume</button>" in page and ">Pause</button>" not in page

    assert "Sending resumed." in act(admin_client, notification_id, "resume").text
    run_jobs()
    data = progress(admin_client, notification_id)
    assert data["state"] == "completed" and data["percent"] == 100
    assert len(smtp.wait_for(5)) == 5


def test_cancel_stops_what_is_not_sent(app, admin_client, smtp, subscribers, run_jobs):
    notification_id = publish(app)
    page = admin_client.get(f"/admin/deliveries/{notification_id}").text
    assert 'data-confirm="Cancel this notice?' in page  # the browser asks first
    assert "Sending is cancelled" in act(admin_client, notification_id, "cancel").text
    run_jobs()
    data = progress(admin_client, notification_id)
    assert data["state"] == "cancelled" and data["done"] is True
    assert data["counts"]["cancelled"] == 5 and data["counts"]["sent"] == 0
    assert smtp.messages == []
    again = act(admin_client, notification_id, "cancel").text
    assert "already finished" in again


def test_controls_need_a_csrf_token(app, admin_client, subscribers):
    notification_id = publish(app)
    response = admin_client.post(f"/admin/deliveries/{notification_id}/pause")
    assert response.status_code == 400
    assert state_of(app, notification_id) == "sending"


def test_unknown_notification_is_404(admin_client):
    assert admin_client.get("/admin/deliveries/999").status_code == 404
    assert admin_client.get("/admin/deliveries/999.json").status_code == 404
    token = web.csrf_token(admin_client.get("/admin/deliveries").text)
    assert admin_client.post("/admin/deliveries/999/pause",
                             data={"csrf_token": token}).status_code == 404


def test_list_is_newest_first_paginated_escaped_and_in_the_operator_zone(app, admin_client):
    with app.app_context():
        SiteSettings.get().timezone = "Asia/Kolkata"
        base = utcnow()
        for n in range(27):
            db.session.add(Notification(kind="incident_created", subject=f"Notice {n:02d}",
                                        state="completed", total=0,
                                        created_at=base - timedelta(minutes=27 - n)))
        db.session.add(Notification(kind="incident_created", subject="<b>newest</b>",
                                    state="sending", total=0, created_at=base))
        db.session.commit()
        newest_time = format_local(base)
    first = admin_client.get("/admin/deliveries").text
    assert first.index("&lt;b&gt;newest&lt;/b&gt;") < first.index("Notice 26")
    assert "<b>newest</b>" not in first
    assert newest_time in first and "IST" in newest_time
    assert "Notice 03" in first and "Notice 02" not in first
    older = re.search(r'href="(/admin/deliveries\?after=\d+)" rel="next">Older', first).group(1)
    assert 'rel="prev"' not in first
    second = admin_client.get(older).text
    assert "Notice 00" in second and "Notice 02" in second and "Notice 03" not in second
    assert 'rel="next"' not in second
    newer = re.search(r'href="(/admin/deliveries\?before=\d+)" rel="prev">', second).group(1)
    assert "Notice 03" in admin_client.get(newer).text

