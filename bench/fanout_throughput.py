#!/usr/bin/env python
"""Fan-out throughput: statusmail with 1, 2 and 4 workers against the naive loop and the
raw ceiling, plus publisher and worker memory at 10k vs 1M subscribers, in one run.

Not a test: run on demand (see bench/README.md). Everything is measured in the same
run on the same machine, database and sink, and printed beside its baselines with the
ratios, because absolute msg/s says more about the machine than about the code. JSON
goes to ``bench/results/fanout_throughput-<database>.json``.
"""
import argparse
import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile

from fanout_baselines import measure_naive, measure_raw_ceiling, notice_messages
from fanout_memory import measure_memory, seed_subscribers
from fanout_report import report, write_json
from harness import ROOT, cpu_seconds, peak_rss_mb, smtp_sink, wait_until, workers

sys.path.insert(0, ROOT)


def _counts(text):
    return [int(part) for part in text.split(",") if part.strip()]


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=None,
                        help="the database to use (its statusmail tables are DROPPED and "
                             "recreated); default BENCH_DATABASE_URL, else a temporary SQLite")
    parser.add_argument("--subscribers", type=int, default=10_000,
                        help="confirmed subscribers each fan-out sends to (10,000)")
    parser.add_argument("--workers", type=_counts, default=[1, 2, 4],
                        help="worker counts to measure, comma-separated (1,2,4)")
    parser.add_argument("--naive-messages", type=int, default=2_000,
                        help="messages the naive loop sends (2,000; its rate does not depend "
                             "on the list size)")
    parser.add_argument("--memory-small", type=int, default=10_000,
                        help="list size of the small memory measurement (10,000)")
    parser.add_argument("--memory-large", type=int, default=1_000_000,
                        help="list size of the large one (1,000,000; 0 skips memory)")
    parser.add_argument("--memory-slice", type=int, default=10_000,
                        help="deliveries the workers send in each memory measurement (10,000)")
    parser.add_argument("--profile", metavar="DIR",
                        help="py-spy record every worker of the 2-worker run into DIR")
    parser.add_argument("--sink", choices=("auto", "smtp-sink", "aiosmtpd"), default="auto",
                        help="SMTP sink: postfix's smtp-sink when installed (auto), else aiosmtpd")
    parser.add_argument("--timeout", type=float, default=600,
                        help="seconds one step may take before the run is abandoned")
    parser.add_argument("--json", default=os.path.join(ROOT, "bench", "results"),
                        help="directory for the JSON results")
    args = parser.parse_args()
    if args.memory_large and not 0 < args.memory_small <= args.memory_large:
        parser.error("--memory-small must be between 1 and --memory-large")
    if args.memory_large and args.memory_small < args.subscribers:
        parser.error("--memory-small must be at least --subscribers (the list only grows)")
    return args


# --- the throwaway app ----------------------------------------------------------------

def prepare_environment(workdir, database_url=None):
    """Settings for this process and the workers: a temporary instance, its own Redis."""
    import secrets

    from cryptography.fernet import Fernet
    env = {
        "STATUSMAIL_ENV": "development",
        "STATUSMAIL_INSTANCE_PATH": os.path.join(workdir, "instance"),
        "DATABASE_URL": database_url or os.environ.get("BENCH_DATABASE_URL")
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


# --- statusmail's fan-out -------------------------------------------------------------

def _py_spy(pids, directory):
    """A ``py-spy record`` per worker, stopped (and its flame graph written) on exit."""
    os.makedirs(directory, exist_ok=True)
    py_spy = shutil.which("py-spy") or os.path.join(os.path.dirname(sys.executable), "py-spy")
    return [subprocess.Popen([py_spy, "record", "--pid", str(pid), "--rate", "250",
                              "--format", "raw", "--output",
                              os.path.join(directory, f"worker-{pid}.txt")],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            for pid in pids]


def _stop_profilers(profilers):
    for profiler in profilers:
        profiler.send_signal(signal.SIGINT)
    for profiler in profilers:
        profiler.wait(60)


def _backend_cpu(app):
    """``{pid: CPU seconds}`` of the PostgreSQL backends serving this database (other
    than ours); empty on SQLite, whose work is done inside the workers."""
    from sqlalchemy import text

    from statusmail.extensions import db
    if db.engine.dialect.name != "postgresql":
        return {}
    pids = db.session.scalars(text(
        "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
        "AND pid <> pg_backend_pid()")).all()
    db.session.rollback()
    found = {}
    for pid in pids:
        try:
            found[pid] = cpu_seconds(pid)
        except FileNotFoundError:  # it ended meanwhile
            pass
    return found


def measure_statusmail(app, env, args, log_dir, worker_count, number, sink_pid,
                       profile_dir=None):
    """Publish to every confirmed subscriber with idle workers; time it from the database.

    Timestamps come from the delivery rows (``sent_at`` is written when the server
    accepted the mail), so polling for completion adds nothing to the figures. The poll
    reads the notification's state alone.
    """
    from sqlalchemy import func, select

    from statusmail.extensions import db
    from statusmail.models import Delivery, Notification, utcnow

    with app.app_context(), workers(worker_count, env, log_dir, args.timeout) as processes:
        profilers = _py_spy([p.pid for p in processes], profile_dir) if profile_dir else []
        cpu_before = sum(cpu_seconds(p.pid) for p in processes)
        sink_before, backends_before = cpu_seconds(sink_pid), _backend_cpu(app)
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
        worker_cpu = sum(cpu_seconds(p.pid) for p in processes) - cpu_before
        sink_cpu = cpu_seconds(sink_pid) - sink_before
        backend_cpu = sum(cpu - backends_before.get(pid, 0.0)
                          for pid, cpu in _backend_cpu(app).items())
        _stop_profilers(profilers)
        first, last, total, sent = db.session.execute(
            select(func.min(Delivery.sent_at), func.max(Delivery.sent_at), func.count(),
                   func.count(Delivery.sent_at))
            .where(Delivery.notification_id == notification_id)).one()
        db.session.rollback()
        peak_rss = max(peak_rss_mb(process.pid) for process in processes)
    if sent != total or not total:
        raise SystemExit(f"bench: only {sent} of {total} deliveries were sent; see {log_dir}")
    return {"workers": worker_count, "notification_id": notification_id, "messages": total,
            "seconds": (last - started).total_seconds(),
            "sending_seconds": (last - first).total_seconds(),
            "first_latency": (first - started).total_seconds(), "peak_rss_mb": peak_rss,
            "worker_cpu_us_per_message": worker_cpu / total * 1e6,
            "sink_cpu_us_per_message": sink_cpu / total * 1e6,
            "database_cpu_us_per_message": backend_cpu / total * 1e6}


# --- main -----------------------------------------------------------------------------

def run(args, app, env, workdir, port, sink_pid):
    from statusmail.models import SiteSettings
    seed_subscribers(app, args.subscribers)
    runs, ceilings, messages = [], [], None
    for number, count in enumerate(args.workers, start=1):
        profile = args.profile if count == 2 else None
        runs.append(measure_statusmail(app, env, args, workdir, count, number, sink_pid,
                                       profile))
        if messages is None:
            notice, messages = notice_messages(app, runs[0]["notification_id"],
                                               args.subscribers)
            with app.app_context():
                sender = SiteSettings.get().from_address
        # Right after each fan-out, so that both see the same machine.
        ceilings.append(measure_raw_ceiling(int(port), sender, messages, sink_pid))
    naive = measure_naive(app, notice, messages[:args.naive_messages])
    memory = []
    if args.memory_large:
        seed_subscribers(app, args.memory_small)
        memory.append(measure_memory(app, env, workdir, 2, args.memory_slice, args.timeout))
        seed_subscribers(app, args.memory_large)
        memory.append(measure_memory(app, env, workdir, 2, args.memory_slice, args.timeout))
    return {"runs": runs, "raw_ceilings": ceilings, "naive": naive, "memory": memory}


def main():
    args = parse_args()
    workdir = tempfile.mkdtemp(prefix="statusmail-bench-")
    env = {**os.environ, **prepare_environment(workdir, args.database_url)}
    try:
        with smtp_sink(args.sink) as (sink_name, port, sink_pid):
            app = make_app(port)
            env["REDIS_URL"] = app.config["REDIS_URL"]  # the embedded one the app started
            figures = run(args, app, env, workdir, port, sink_pid)
            database = app.config["SQLALCHEMY_DATABASE_URI"].split(":", 1)[0]
        figures.update(sink=sink_name, database=database, cpus=os.cpu_count(),
                       load_average=os.getloadavg())
        report(figures)
        print("JSON:", write_json(args.json, figures))
    finally:
        from statusmail.embedded_redis import stop_embedded_redis
        stop_embedded_redis(env["STATUSMAIL_INSTANCE_PATH"])
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
