#!/usr/bin/env python
"""Fan-out throughput: statusmail's path against the naive Flask-Mail loop, in one run.

Not a test: run on demand (see bench/README.md). Everything is measured in the same
run on the same machine and sink, and printed as ratios against the naive baseline,
because absolute msg/s says more about the machine than about the code.
"""
import argparse
import logging
import os
import shutil
import sys
import tempfile
import time

from harness import ROOT, peak_rss_mb, smtp_sink, wait_until, workers

sys.path.insert(0, ROOT)

TARGET_RATIO = 5.0


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=10_000,
                        help="confirmed subscribers for the large run (default 10,000)")
    parser.add_argument("--small", type=int, default=1_000,
                        help="subscribers for the small run that worker memory is compared "
                             "against (default 1,000)")
    parser.add_argument("--workers", type=int, default=2, help="flask worker processes (2)")
    parser.add_argument("--baseline-messages", type=int, default=2_000,
                        help="messages the naive loop sends (its rate does not depend on the "
                             "list size; 0 = the whole list; default 2,000)")
    parser.add_argument("--sink", choices=("auto", "smtp-sink", "aiosmtpd"), default="auto",
                        help="SMTP sink: postfix's smtp-sink when installed (auto), else aiosmtpd")
    parser.add_argument("--timeout", type=float, default=300,
                        help="seconds one fan-out may take before the run is abandoned")
    args = parser.parse_args()
    if not 0 < args.small <= args.subscribers:
        parser.error("--small must be between 1 and --subscribers")
    return args


# --- the throwaway app ----------------------------------------------------------------

def prepare_environment(workdir):
    """Settings for this process and the workers: a temporary instance, its own Redis."""
    import secrets

    from cryptography.fernet import Fernet
    env = {
        "STATUSMAIL_ENV": "development",
        "STATUSMAIL_INSTANCE_PATH": os.path.join(workdir, "instance"),
        "DATABASE_URL": os.environ.get("BENCH_DATABASE_URL")
        or "sqlite:///" + os.path.join(workdir, "bench.sqlite3"),
        "REDIS_URL": "",
        "SECRET_KEY": secrets.token_urlsafe(32),
        "STATUSMAIL_ENCRYPTION_KEY": Fernet.generate_key().decode(),
        "STATUSMAIL_BASE_URL": "https://status.example.com",
    }
    os.environ.update(env)
    return env


def make_app(sink_port):
    from statusmail import create_app
    from statusmail.extensions import db
    app = create_app({"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": sink_port, "MAIL_USE_TLS": False,
                      "MAIL_USE_SSL": False, "RATELIMIT_ENABLED": False})
    logging.getLogger().setLevel(logging.WARNING)  # the report, not the app's INFO lines
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            # Concurrent writers (two workers, this process) need the write-ahead log;
            # the setting is stored in the database file, so the workers get it too.
            with db.engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA journal_mode=WAL")
        db.drop_all()
        db.create_all()
        configure_sending(sink_port)
    return app


def configure_sending(sink_port):
    from statusmail.extensions import db
    from statusmail.models import SiteSettings
    settings = SiteSettings.get()
    settings.status_page_name = "Bench Status"
    settings.notifications_enabled = True
    settings.provider, settings.smtp_security, settings.smtp_timeout = "smtp", "none", 30
    settings.smtp_host, settings.smtp_port = "127.0.0.1", sink_port
    settings.from_address, settings.from_name = "status@example.com", "Bench Status"
    db.session.commit()


def add_subscribers(first, count):
    """Confirmed subscribers ``first`` … ``first + count - 1``, inserted in bulk."""
    from sqlalchemy import insert

    from statusmail.extensions import db
    from statusmail.models import Subscriber, utcnow
    now = utcnow()
    rows = [{"email": f"subscriber{n}@example.net", "status": "confirmed", "source": "import",
             "created_at": now, "confirmed_at": now} for n in range(first, first + count)]
    for start in range(0, len(rows), 5000):
        db.session.execute(insert(Subscriber), rows[start:start + 5000])
    db.session.commit()


def publish_incident(number):
    """Open an incident and publish its notice, as the admin does; returns the notification."""
    from statusmail.extensions import db
    from statusmail.models import Incident, IncidentUpdate
    from statusmail.fanout import publish_event
    incident = Incident(title=f"Elevated API error rates ({number})", impact="major",
                        status="investigating")
    update = IncidentUpdate(incident=incident, status="investigating",
                            message="We are investigating elevated error rates on the API. "
                                    "Some requests fail with 503. Next update in 30 minutes.")
    db.session.add_all([incident, update])
    db.session.flush()
    return publish_event("incident_created", incident=incident, incident_update=update)


# --- measurements ---------------------------------------------------------------------

def measure_statusmail(app, env, args, log_dir, number):
    """Publish to every confirmed subscriber with idle workers; time it from the database.

    Timestamps come from the delivery rows (``sent_at`` is written when the server
    accepted the mail), so polling for completion adds nothing to the figures. The poll
    reads the notification's state alone: counting its deliveries by state ten times a
    second cost PostgreSQL about a sixth as much CPU as the fan-out itself.
    """
    from sqlalchemy import func, select

    from statusmail.extensions import db
    from statusmail.models import Delivery, Notification, utcnow

    with app.app_context(), workers(args.workers, env, log_dir) as processes:
        started = utcnow()
        notification = publish_incident(number)
        if notification is None:
            raise SystemExit("bench: publish_event wrote nothing (notifications disabled?)")
        notification_id = notification.id

        def finished():
            state = db.session.scalar(select(Notification.state)
                                      .where(Notification.id == notification_id))
            db.session.rollback()
            return state in ("completed", "cancelled")
        wait_until(finished, args.timeout, f"notification #{notification_id}", every=0.1)
        first, last, total, sent = db.session.execute(
            select(func.min(Delivery.sent_at), func.max(Delivery.sent_at), func.count(),
                   func.count(Delivery.sent_at))
            .where(Delivery.notification_id == notification_id)).one()
        db.session.rollback()
        peak_rss = max(peak_rss_mb(process.pid) for process in processes)
    if sent != total or not total:
        raise SystemExit(f"bench: only {sent} of {total} deliveries were sent; see {log_dir}")
    return {"notification_id": notification_id, "messages": total,
            "seconds": (last - started).total_seconds(),
            "sending_seconds": (last - first).total_seconds(),
            "first_latency": (first - started).total_seconds(), "peak_rss_mb": peak_rss}


def measure_baseline(app, notification_id, limit):
    """The naive loop: per subscriber a Flask-Mail ``Message`` and ``mail.send``, which
    serialises it and opens a new SMTP connection. It is handed the rendered notice for
    free (per-subscriber links by string replacement), so the ratio errs in its favour.
    """
    from sqlalchemy import select

    from statusmail.extensions import db, mail
    from statusmail.models import Notification, SiteSettings, Subscriber
    from statusmail.fanout.notices import render_notice

    with app.app_context():
        notice = render_notice(db.session.get(Notification, notification_id), SiteSettings.get())
        query = select(Subscriber.id, Subscriber.email, Subscriber.link_key).order_by(Subscriber.id)
        recipients = db.session.execute(query.limit(limit) if limit else query).all()
        started = time.perf_counter()
        for number, (subscriber_id, email, link_key) in enumerate(recipients):
            values = notice.values_for(notification_id=notification_id, delivery_id=number,
                                       subscriber_id=subscriber_id, email=email, link_key=link_key)
            message, _ = notice.personalize(values, whole_message=True)
            mail.send(message)
        seconds = time.perf_counter() - started
    return {"messages": len(recipients), "seconds": seconds}


# --- report ---------------------------------------------------------------------------

def rate(run):
    return run["messages"] / run["seconds"] if run["seconds"] > 0 else float("inf")


def report(args, sink_name, database, baseline, small, large):
    base = rate(baseline)
    ours = rate(large)
    sending = large["messages"] / large["sending_seconds"] if large["sending_seconds"] else ours
    ratio = ours / base
    per_naive_mail = baseline["seconds"] / baseline["messages"]
    lines = [
        f"statusmail fan-out benchmark: sink {sink_name}, database {database}, "
        f"{os.cpu_count()} CPUs",
        "",
        f"{'':60} {'msg/s':>8} {'x baseline':>11}",
        f"{'naive: Flask-Mail Message + mail.send, new connection each':60} "
        f"{base:8.0f} {1:11.2f}   ({baseline['messages']:,} mails)",
        f"{f'statusmail: publish_event + {args.workers} flask workers':60} "
        f"{ours:8.0f} {ratio:11.2f}   ({large['messages']:,} mails, publish -> last accepted)",
        f"{'  of which sending (first -> last accepted)':60} {sending:8.0f} {sending / base:11.2f}",
        "",
        f"target: statusmail >= {TARGET_RATIO:g}x the naive loop -> "
        f"{'met' if ratio >= TARGET_RATIO else 'NOT MET'} ({ratio:.2f}x)",
        f"publish -> first mail accepted (idle workers), {large['messages']:,} subscribers: "
        f"{large['first_latency']:.3f} s = {large['first_latency'] / per_naive_mail:.1f}x "
        f"one naive mail ({per_naive_mail * 1000:.1f} ms); "
        f"{small['messages']:,} subscribers: {small['first_latency']:.3f} s",
        f"worker peak RSS: {small['messages']:,} subscribers {small['peak_rss_mb']:.1f} MB, "
        f"{large['messages']:,} subscribers {large['peak_rss_mb']:.1f} MB "
        f"({large['peak_rss_mb'] / small['peak_rss_mb']:.2f}x for "
        f"{large['messages'] / small['messages']:.0f}x the subscribers)",
    ]
    print("\n".join(lines))


# --- main -----------------------------------------------------------------------------

def main():
    args = parse_args()
    workdir = tempfile.mkdtemp(prefix="statusmail-bench-")
    env = {**os.environ, **prepare_environment(workdir)}
    try:
        with smtp_sink(args.sink) as (sink_name, port):
            app = make_app(port)
            env["REDIS_URL"] = app.config["REDIS_URL"]  # the embedded one the app started
            with app.app_context():
                add_subscribers(0, args.small)
            small = measure_statusmail(app, env, args, workdir, 1)
            with app.app_context():
                add_subscribers(args.small, args.subscribers - args.small)
            large = measure_statusmail(app, env, args, workdir, 2)
            baseline = measure_baseline(app, large["notification_id"], args.baseline_messages)
            database = app.config["SQLALCHEMY_DATABASE_URI"].split(":", 1)[0]
            if database == "sqlite":
                database += " (WAL journal, set by the bench)"
        report(args, sink_name, database, baseline, small, large)
    finally:
        from statusmail.embedded_redis import stop_embedded_redis
        stop_embedded_redis(env["STATUSMAIL_INSTANCE_PATH"])
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
