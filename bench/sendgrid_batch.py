"""SendGrid fan-out: personalizations (up to 1,000 recipients a request) against one request a message.

Both paths send the same notice to the same --subscribers through real ``flask worker``
processes, against the SendGrid double of tests/mail (it checks every request as the API
does) answering each request after a latency drawn from --latency-ms (60–150 ms: what a
mail/send round trip from a server in another region costs). The per-message path is the
same code with ``STATUSMAIL_SENDGRID_RECIPIENTS_PER_REQUEST=1``. Times come from the
delivery rows (``sent_at``), from the publish to the last accepted message.
"""
import argparse
import json
import os
import shutil
import sys
import tempfile
import time

from harness import ROOT, cpu_seconds, wait_until, workers

sys.path.insert(0, ROOT)

from fanout_memory import seed_subscribers  # noqa: E402
from fanout_throughput import make_app, prepare_environment, publish_incident  # noqa: E402

API_KEY = "SG.bench-key"


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=None,
                        help="a PostgreSQL URL whose statusmail tables are DROPPED and "
                             "recreated (default BENCH_DATABASE_URL, else a temporary SQLite)")
    parser.add_argument("--subscribers", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=4,
                        help="worker processes for each path (they mostly wait on the API)")
    parser.add_argument("--latency-ms", type=lambda v: tuple(float(x) for x in v.split("-")),
                        default=(60.0, 150.0), help="per-request latency range, e.g. 60-150")
    parser.add_argument("--timeout", type=float, default=1200)
    parser.add_argument("--json", default=os.path.join(ROOT, "bench", "results"))
    return parser.parse_args()


def configure_sendgrid():
    from statusmail import crypto
    from statusmail.extensions import db
    from statusmail.models import SiteSettings
    settings = SiteSettings.get()
    settings.provider = "sendgrid"
    settings.sendgrid_api_key_encrypted = crypto.encrypt(API_KEY)
    db.session.commit()


def measure(app, env, args, double, label, per_request, number, log_dir):
    from sqlalchemy import func, select

    from statusmail.extensions import db
    from statusmail.models import Delivery, Notification, utcnow

    env = {**env, "STATUSMAIL_SENDGRID_RECIPIENTS_PER_REQUEST": str(per_request)}
    app.config["SENDGRID_RECIPIENTS_PER_REQUEST"] = per_request  # the batch size it queues
    with app.app_context(), workers(args.workers, env, log_dir, 120) as processes:
        cpu_before = sum(cpu_seconds(p.pid) for p in processes)
        requests_before, sizes_before = double.received, len(double.sizes)
        started = utcnow()
        notification_id = publish_incident(number).id

        def finished():
            state = db.session.scalar(select(Notification.state)
                                      .where(Notification.id == notification_id))
            db.session.rollback()
            return state in ("completed", "cancelled", "paused")
        wait_until(finished, args.timeout, f"notification #{notification_id}", every=0.2)
        worker_cpu = sum(cpu_seconds(p.pid) for p in processes) - cpu_before
        first, last, total, sent = db.session.execute(
            select(func.min(Delivery.sent_at), func.max(Delivery.sent_at), func.count(),
                   func.count(Delivery.sent_at))
            .where(Delivery.notification_id == notification_id)).one()
        db.session.rollback()
    requests = double.received - requests_before
    sizes = double.sizes[sizes_before:]
    if sent != total or not total:
        raise SystemExit(f"bench: {label}: only {sent} of {total} deliveries were sent; "
                         f"see {log_dir}")
    seconds = (last - started).total_seconds()
    return {"path": label, "recipients_per_request": per_request, "messages": total,
            "requests": requests,
            "largest_request": max(sizes), "smallest_request": min(sizes), "seconds": seconds, "messages_per_second": total / seconds,
            "first_latency": (first - started).total_seconds(),
            "worker_cpu_us_per_message": worker_cpu / total * 1e6}


def main():
    args = parse_args()
    from tests.mail.sendgrid_double import SendGridDouble

    workdir = tempfile.mkdtemp(prefix="statusmail-bench-")
    env = {**os.environ, **prepare_environment(workdir, args.database_url)}
    low, high = args.latency_ms
    double = SendGridDouble(API_KEY, latency=(low / 1000, high / 1000)).start()
    env["STATUSMAIL_SENDGRID_API_URL"] = double.url
    try:
        app = make_app(sink_port=1)  # the SMTP settings are replaced by SendGrid's below
        app.config["SENDGRID_API_URL"] = double.url
        env["REDIS_URL"] = app.config["REDIS_URL"]
        with app.app_context():
            configure_sendgrid()
        seed_subscribers(app, args.subscribers)
        batched = measure(app, env, args, double, "personalizations", 1000, 1, workdir)
        per_message = measure(app, env, args, double, "per message", 1, 2, workdir)
        figures = {
            "subscribers": args.subscribers, "workers": args.workers,
            "latency_ms": [low, high],
            "database": app.config["SQLALCHEMY_DATABASE_URI"].split(":", 1)[0],
            "cpus": os.cpu_count(), "load_average": os.getloadavg(),
            "batched": batched, "per_message": per_message,
            "speedup": per_message["seconds"] / batched["seconds"],
            "request_ratio": per_message["requests"] / batched["requests"],
            "worker_cpu_ratio": (per_message["worker_cpu_us_per_message"]
                                 / batched["worker_cpu_us_per_message"]),
        }
    finally:
        double.stop()
        from statusmail.embedded_redis import stop_embedded_redis
        stop_embedded_redis(env["STATUSMAIL_INSTANCE_PATH"])
        shutil.rmtree(workdir, ignore_errors=True)
    for run in (batched, per_message):
        print(f"{run['path']:>17}: {run['messages']:,} mails in {run['requests']:,} requests, "
              f"{run['seconds']:.1f} s ({run['messages_per_second']:,.0f} mails/s), "
              f"worker CPU {run['worker_cpu_us_per_message']:,.0f} µs/mail")
    print(f"personalizations are {figures['speedup']:.1f}× faster with "
          f"{figures['request_ratio']:.0f}× fewer requests "
          f"(worker CPU per mail {figures['worker_cpu_ratio']:.1f}× less)")
    os.makedirs(args.json, exist_ok=True)
    path = os.path.join(args.json, f"sendgrid_batch-{figures['database']}.json")
    with open(path, "w") as fh:
        json.dump({**figures, "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())},
                  fh, indent=2)
    print("JSON:", path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
