"""Fast where it matters: first mail quickly, work per batch (not per subscriber), bulk writes."""
import time
from contextlib import contextmanager

from flask import template_rendered
from rq import Worker
from sqlalchemy import event

from statusmail.extensions import db
from statusmail.queues import redis_connection
from tests.support.processes import wait_until

from .helpers import add_subscribers, enable_notifications, publish_incident


@contextmanager
def counting_statements(app):
    """Count the SQL statements the app runs, by their first word."""
    counts = {}

    def count(conn, cursor, statement, parameters, context, executemany):
        verb = statement.lstrip().split(None, 1)[0].upper()
        if verb == "EXECUTE":  # on PostgreSQL the recorder runs its UPDATE prepared
            verb = "UPDATE"
        counts[verb] = counts.get(verb, 0) + 1

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield counts
    finally:
        event.remove(engine, "before_cursor_execute", count)


def test_first_mail_is_accepted_well_under_a_second_after_publishing(app, hooked_smtp,
                                                                     worker_processes):
    enable_notifications(app)
    add_subscribers(app, 2000)
    worker_processes()

    def worker_idle():
        with app.app_context():
            return any(w.get_state() == "idle" for w in Worker.all(connection=redis_connection()))
    wait_until(worker_idle, timeout=30, message="an idle worker")

    started = time.monotonic()
    publish_incident(app)
    hooked_smtp.wait_for(1, timeout=10)
    latency = hooked_smtp.accepted_at[0] - started
    assert latency < 0.75, f"first mail after {latency:.2f} s"


def test_work_per_batch_does_not_grow_with_its_subscribers(app, smtp, run_jobs):
    # The state check between messages is timed: on a slow machine the larger batch would
    # make one more than the smaller. Counted here is what grows with the batch.
    app.config["FANOUT_CHECK_SECONDS"] = 3600
    enable_notifications(app)
    renders = []

    def rendered(sender, template, context, **extra):
        renders.append(template.name)

    template_rendered.connect(rendered, app)
    measured = []
    for count in (5, 60):
        add_subscribers(app, count, prefix=f"group{count}-")
        publish_incident(app, title=f"Outage for {count}")
        renders.clear()
        with counting_statements(app) as statements:
            run_jobs()
        measured.append((dict(statements), list(renders)))
    template_rendered.disconnect(rendered, app)
    assert len(smtp.messages) == 5 + 65

    (small, small_renders), (large, large_renders) = measured
    # One SELECT set per batch, whatever its size: no query per subscriber …
    assert large["SELECT"] == small["SELECT"]
    # … one UPDATE per message (its outcome, committed as it goes) plus a fixed few …
    assert large["UPDATE"] - small["UPDATE"] == 65 - 5
    # … and the notice rendered once per batch, text and HTML.
    assert sorted(small_renders) == sorted(large_renders) == [
        "email/incident_created.html", "email/incident_created.txt"]


def test_publishing_writes_deliveries_in_bulk(app):
    enable_notifications(app)
    measured = []
    for count in (3, 400):
        add_subscribers(app, count, prefix=f"group{count}-")
        with counting_statements(app) as statements:
            publish_incident(app, title=f"Outage {count}")
        measured.append(statements)
    assert measured[0] == measured[1], "the same statements for 3 or 403 subscribers"
    assert measured[1]["INSERT"] <= 4  # incident, update, notification, deliveries
