"""Reminders go out once, at their time, from the scheduler's tick (driven here with a
given "now", no sleeps); never for a window that started, moved away or was cancelled."""
import threading
from datetime import timedelta

from tests.fanout.helpers import add_subscribers
from tests.status.support import HOUR

MINUTE = timedelta(minutes=1)


def _tick(app, now):
    from statusmail.services.scheduler import tick
    with app.app_context():
        tick(now)


def _schedule(app, starts_in=3 * HOUR, **fields):
    """A window scheduled through the service (as the admin and API do); ``(id, start)``."""
    from statusmail.models import utcnow
    from statusmail.services.maintenance import schedule_maintenance
    with app.app_context():
        start = utcnow().replace(second=0, microsecond=0) + starts_in
        maintenance, _ = schedule_maintenance(title="Router upgrade", description="",
                                              starts_at=start, ends_at=start + HOUR, **fields)
        return maintenance.id, start


def _move(app, maintenance_id, starts_at):
    from statusmail.extensions import db
    from statusmail.models import Maintenance
    from statusmail.services.maintenance import edit_maintenance
    with app.app_context():
        row = db.session.get(Maintenance, maintenance_id)
        edit_maintenance(row, title=row.title, description="", starts_at=starts_at,
                         ends_at=starts_at + HOUR)


def _reminders(data):
    return [n for n in data.notices() if n[0] == "maintenance_reminder"]


def test_one_reminder_at_its_time(app, data, smtp, run_jobs):
    data.settings(notifications_enabled=True, status_page_name="Acme Status",
                  maintenance_reminder_minutes=60)
    add_subscribers(app, 1)
    maintenance_id, start = _schedule(app)
    _tick(app, start - 61 * MINUTE)
    assert _reminders(data) == []
    _tick(app, start - 60 * MINUTE)
    _tick(app, start - 59 * MINUTE)  # the next tick, or a restarted scheduler
    assert _reminders(data) == [("maintenance_reminder", None, maintenance_id, None)]
    run_jobs()
    (reminder,) = [mail for mail in smtp.wait_for(2) if "Reminder" in mail.message["Subject"]]
    assert reminder.message["Subject"].startswith(
        "[Acme Status] Reminder: maintenance Router upgrade starts ")
    assert reminder.message["List-Id"] == "<statusmail.test>"
    text = reminder.message.get_body(("plain",)).get_content()
    assert "Reminder: this maintenance starts soon." in text
    assert f"Starts: {start:%Y-%m-%d %H:%M} UTC\n" in text.replace("\r\n", "\n")
    row = data.get("Maintenance", maintenance_id)
    assert row.reminder_sent_at == start - 60 * MINUTE and row.status == "scheduled"


def test_racing_schedulers_remind_once(make_app, data):
    """Two processes (two apps, two sessions) send the same due reminders at once."""
    data.settings(notifications_enabled=True, maintenance_reminder_minutes=30)
    apps = [make_app(), make_app()]
    windows = [_schedule(apps[0]) for _ in range(4)]
    now = windows[0][1] - 10 * MINUTE
    barrier = threading.Barrier(len(apps))
    errors = []

    def run(app):
        from statusmail.services.maintenance import send_due_reminders
        try:
            with app.app_context():
                barrier.wait(timeout=10)
                send_due_reminders(now)
        except Exception as exc:  # reported below: a thread's exception is otherwise lost
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(app,)) for app in apps]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors
    assert sorted(n[2] for n in _reminders(data)) == sorted(m_id for m_id, _ in windows)


def test_moving_the_start_rearms_the_reminder(app, data):
    data.settings(notifications_enabled=True, maintenance_reminder_minutes=60)
    maintenance_id, start = _schedule(app)
    _tick(app, start - 30 * MINUTE)
    later = start + 24 * HOUR
    _move(app, maintenance_id, later)
    _tick(app, start - 29 * MINUTE)  # the old reminder time again: nothing new
    _tick(app, later - 61 * MINUTE)
    assert len(_reminders(data)) == 1
    _tick(app, later - 59 * MINUTE)
    assert [kind for kind, *_ in data.notices()] == [
        "maintenance_scheduled", "maintenance_reminder", "maintenance_rescheduled",
        "maintenance_reminder"]


def test_moved_inside_the_lead_time_the_rescheduled_notice_is_the_reminder(app, data):
    data.settings(notifications_enabled=True, maintenance_reminder_minutes=60)
    from statusmail.models import utcnow
    maintenance_id, start = _schedule(app, starts_in=5 * HOUR)
    sooner = utcnow().replace(microsecond=0) + 30 * MINUTE
    _move(app, maintenance_id, sooner)
    _tick(app, sooner - MINUTE)
    assert [kind for kind, *_ in data.notices()] == ["maintenance_scheduled",
                                                     "maintenance_rescheduled"]


def test_no_reminder_for_cancelled_or_already_started_windows(app, data):
    from statusmail.services.maintenance import cancel_maintenance
    data.settings(notifications_enabled=True, maintenance_reminder_minutes=60)
    cancelled_id, start = _schedule(app)
    with app.app_context():
        cancel_maintenance(cancelled_id)
    _tick(app, start - 30 * MINUTE)
    # The scheduler was down through the reminder time and the start: it starts the
    # window, and does not remind of something already under way.
    late_id, late_start = _schedule(app, starts_in=4 * HOUR)
    _tick(app, late_start + MINUTE)
    assert _reminders(data) == []
    assert data.get("Maintenance", late_id).status == "in_progress"


def test_lead_time_default_off_and_per_window(app, data):
    data.settings(notifications_enabled=True, maintenance_reminder_minutes=0)
    default_id, start = _schedule(app)
    chosen_id, _ = _schedule(app, notify_reminder=True, reminder_minutes=15)
    row = data.get("Maintenance", default_id)
    assert (row.notify_reminder, row.reminder_minutes, row.remind_at) == (False, 0, None)
    _tick(app, start - 14 * MINUTE)
    assert [n[2] for n in _reminders(data)] == [chosen_id]


def test_reminder_stage_off_sends_none(app, data):
    data.settings(notifications_enabled=True, maintenance_reminder_minutes=60)
    maintenance_id, start = _schedule(app, notify_reminder=False)
    _tick(app, start - 30 * MINUTE)
    assert _reminders(data) == []
