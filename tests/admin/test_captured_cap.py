"""Captured mail is capped (STATUSMAIL_CAPTURE_MAX_MB): the oldest goes first, the totals
the cap and the page read are kept by the database, whatever inserted or deleted."""
from datetime import timedelta

import pytest
from sqlalchemy import delete, func, select

from statusmail.config import ConfigError, load_config
from statusmail.extensions import db
from statusmail.mail.capture_store import captured_usage
from statusmail.models import CapturedMail, utcnow
from statusmail.services.retention import prune_expired_rows
from tests.admin.test_captured import LIST, _capture
from tests.fanout.helpers import add_subscribers, enable_notifications, publish_incident
from tests.support import web


def _actual(app):
    with app.app_context():
        return tuple(int(value) for value in db.session.execute(
            select(func.count(), func.coalesce(func.sum(func.length(CapturedMail.raw)), 0))
        ).one())


def _usage(app):
    with app.app_context():
        return captured_usage()


def test_the_totals_follow_every_insert_and_delete(app):
    assert _usage(app) == (0, 0)
    ids = [_capture(app, subject=f"Mail {n}", text="x" * (100 * n)) for n in range(12)]
    assert _usage(app) == _actual(app) and _usage(app)[0] == 12
    with app.app_context():
        db.session.execute(delete(CapturedMail).where(CapturedMail.id.in_(ids[:5])))
        old = db.session.get(CapturedMail, ids[5])
        old.created_at = utcnow() - timedelta(days=400)
        db.session.commit()
    assert _usage(app) == _actual(app) and _usage(app)[0] == 7
    with app.app_context():
        assert prune_expired_rows()["captured_mail"] == 1  # retention: 90 days
    assert _usage(app) == _actual(app) and _usage(app)[0] == 6


def test_capturing_past_the_cap_deletes_the_oldest_first(make_app):
    probe = make_app()
    enable_notifications(probe)
    add_subscribers(probe, 1, prefix="probe")
    publish_incident(probe, title="Size probe")
    web.drain_queues(probe)
    one_mail = _usage(probe)[1]
    assert one_mail > 0

    cap = one_mail * 8  # room for eight; trimmed to nine tenths when passed
    app = make_app(CAPTURE_MAX_BYTES=cap)
    add_subscribers(app, 30)
    publish_incident(app, title="Many recipients")
    web.drain_queues(app)

    messages, size = _usage(app)
    assert (messages, size) == _actual(app)
    assert size <= cap and 5 <= messages <= 8, (messages, size, cap)
    with app.app_context():
        kept = db.session.scalars(select(CapturedMail.id).order_by(CapturedMail.id)).all()
        newest = db.session.scalar(select(func.max(CapturedMail.id)))
    assert kept == list(range(newest - len(kept) + 1, newest + 1)), "the newest are the ones kept"


def test_a_mail_larger_than_the_cap_is_still_kept(make_app):
    app = make_app(CAPTURE_MAX_BYTES=1024)
    from statusmail.mail.capture_store import store_captured
    with app.app_context():
        for n in range(3):
            store_captured("s@example.com", "a@example.com", f"Big {n}", b"x" * 5000, 1024)
            db.session.commit()
        assert [row.subject for row in CapturedMail.query.all()] == ["Big 2"]


def test_the_page_shows_the_total_and_the_cap(app, admin_client):
    for n in range(3):
        _capture(app, subject=f"Mail {n}", text="y" * 20_000)
    page = admin_client.get(LIST).text
    messages, size = _usage(app)
    assert messages == 3
    assert f"3 captured mails, {size / 1024:.0f} KB" in page
    assert "of the 200.0 MB kept at most" in page


@pytest.mark.parametrize("raw, problem", [("0", "between 1 and"), ("many", "whole number")])
def test_the_cap_setting_is_checked(monkeypatch, tmp_path, raw, problem):
    monkeypatch.setenv("STATUSMAIL_CAPTURE_MAX_MB", raw)
    with pytest.raises(ConfigError, match=problem):
        load_config(str(tmp_path))


def test_the_cap_setting_in_megabytes(monkeypatch, tmp_path):
    monkeypatch.setenv("STATUSMAIL_CAPTURE_MAX_MB", "3")
    assert load_config(str(tmp_path))["CAPTURE_MAX_BYTES"] == 3 * 1024 * 1024
