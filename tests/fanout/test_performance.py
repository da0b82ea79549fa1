"""Fast where it matters: batches queued at once, work per batch (not per subscriber), bulk
writes. The figures themselves are measured in bench/, not asserted here."""
from flask import template_rendered
from sqlalchemy import select

from statusmail.extensions import db
from statusmail.models import Delivery
from statusmail.queues import get_queue
from tests.support.sql import counting_statements

from .helpers import add_subscribers, enable_notifications, publish_incident


def test_expanding_queues_every_batch_as_its_chunk_commits(make_app):
    """What lets an idle worker start at once (bench/ measures the latency itself): the
    batches are on the queue as soon as their chunk of the audience is expanded,
    together covering every delivery once, each job carrying ids alone."""
    app = make_app(FANOUT_BATCH_SIZE=500)
    enable_notifications(app)
    add_subscribers(app, 1234)
    notification = publish_incident(app)
    with app.app_context():
        jobs = [job for job in get_queue("fanout").get_jobs()
                if job.func_name.endswith("send_batch")]
        expected = db.session.scalars(select(Delivery.id).order_by(Delivery.id)
                                      .where(Delivery.notification_id == notification)).all()
    assert [len(job.args[1]) for job in jobs] == [500, 500, 234]
    assert all(job.args[0] == notification and not job.kwargs for job in jobs)
    queued = sorted(delivery_id for job in jobs for delivery_id in job.args[1])
    assert queued == expected and all(type(i) is int for i in queued)


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
