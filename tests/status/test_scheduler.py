"""The scheduler moves maintenance windows by itself, once, however often it runs."""
import logging
import threading

from tests.status.support import HOUR


def _tick(app):
    from statusmail.services.scheduler import tick
    with app.app_context():
        tick()


def test_past_window_is_started_and_completed_with_one_notice_each(app, data):
    data.notifications_on()
    database = data.component("Database")
    data.component("Website")
    maintenance_id = data.maintenance("Upgrade", -2 * HOUR, HOUR, [database])

    _tick(app)
    _tick(app)  # a second scheduler, or the next tick: nothing more happens

    row = data.get("Maintenance", maintenance_id)
    assert row.status == "completed" and row.started_at and row.completed_at
    assert data.statuses() == {"Database": "operational", "Website": "operational"}
    assert data.notices() == [("maintenance_started", None, maintenance_id, None),
                              ("maintenance_completed", None, maintenance_id, None)]


def test_window_in_progress_puts_components_under_maintenance(app, data):
    data.notifications_on()
    database = data.component("Database")
    maintenance_id = data.maintenance("Upgrade", -HOUR, 3 * HOUR, [database])
    future_id = data.maintenance("Later", 5 * HOUR, HOUR, [database])

    _tick(app)
    _tick(app)

    assert data.get("Maintenance", maintenance_id).status == "in_progress"
    assert data.get("Maintenance", future_id).status == "scheduled"
    assert data.statuses() == {"Database": "under_maintenance"}
    assert data.notices() == [("maintenance_started", None, maintenance_id, None)]


def test_window_without_notify_moves_silently(app, data):
    data.notifications_on()
    database = data.component("Database")
    data.maintenance("Quiet", -2 * HOUR, HOUR, [database], notify=False)
    _tick(app)
    assert data.notices() == []
    assert data.statuses() == {"Database": "operational"}


def test_completion_leaves_a_component_an_open_incident_holds(app, data):
    database = data.component("Database")
    data.maintenance("Upgrade", -2 * HOUR, HOUR, [database])
    data.incident(affected=[(database, "major_outage")])
    _tick(app)
    assert data.statuses() == {"Database": "major_outage"}


def test_racing_schedulers_announce_once(make_app, data):
    """Two processes (two apps, two sessions) advance the same due windows at once."""
    data.notifications_on()
    database = data.component("Database")
    for n in range(5):
        data.maintenance(f"Window {n}", -2 * HOUR, HOUR, [database])
    apps = [make_app(), make_app()]
    barrier = threading.Barrier(len(apps))
    errors = []

    def run(app):
        from statusmail.services.maintenance import advance_maintenance
        try:
            with app.app_context():
                barrier.wait(timeout=10)
                advance_maintenance()
        except Exception as exc:  # reported below: a thread's exception is otherwise lost
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(app,)) for app in apps]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors
    kinds = [kind for kind, *_ in data.notices()]
    assert kinds.count("maintenance_started") == 5
    assert kinds.count("maintenance_completed") == 5


def test_each_start_and_completion_is_one_info_line(app, data, caplog):
    database = data.component("Database")
    past_id = data.maintenance("Upgrade of db.internal", -2 * HOUR, HOUR, [database])
    running_id = data.maintenance("Long one", -HOUR, 3 * HOUR, [database])
    with caplog.at_level(logging.INFO, logger="statusmail.services.maintenance"):
        _tick(app)
        _tick(app)
    lines = [(record.levelno, record.getMessage()) for record in caplog.records
             if record.name == "statusmail.services.maintenance"]
    assert [message.split(" (")[0] for _, message in lines] == [
        f"Started maintenance #{past_id}", f"Started maintenance #{running_id}",
        f"Completed maintenance #{past_id}"]
    assert {level for level, _ in lines} == {logging.INFO}
    assert "db.internal" not in caplog.text  # the operator's text stays out of the log
