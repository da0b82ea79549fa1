"""The publish request (Admin → Incidents → Open, with a notice) at 10 and at 1M
subscribers, and publish → first mail accepted with idle workers.

    .venv/bin/python bench/publish_request.py                    # SQLite, 10 vs 1M
    .venv/bin/python bench/publish_request.py --large 100000
    BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/statusmail_bench \
        .venv/bin/python bench/publish_request.py

Two databases (as in admin_pages.py) hold ``--small`` and ``--large`` confirmed-heavy
subscriber lists, bulk-loaded inside the database. The POST that opens an incident and
publishes its notice is timed ``--repeat`` times against each, in turn (no worker runs
meanwhile; the queued expansion job is dropped after each). Then ``--workers`` flask
workers and an SMTP sink start against each world and ``--first-mail-repeat`` more
incidents are published, one at a time with idle workers: the time from the
notification's creation to the first accepted mail comes from the rows
(``first_sent_at``), after which the notice is cancelled. Where that time goes comes
from RQ's own timestamps: until the expansion job started, its first chunk (one batch
of subscribers, whose batch job it queues), until that batch job started, and the rest
(claim, render, connect, send, record).
Targets: request time at the large list within 1.5× of the small one; first mail < 1 s.
"""
import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from contextlib import ExitStack

from admin_pages import analyze, database_urls, make_app
from fanout_throughput import ROOT, prepare_environment
from harness import smtp_sink, wait_until, workers

sys.path.insert(0, ROOT)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=10)
    parser.add_argument("--large", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--first-mail-repeat", type=int, default=5,
                        help="notices published per world for publish → first mail")
    parser.add_argument("--sink", choices=("auto", "smtp-sink", "aiosmtpd"), default="auto")
    parser.add_argument("--json", default=os.path.join(ROOT, "bench", "results"))
    return parser.parse_args()


FORM = {"title": "Checkout is failing", "impact": "major", "status": "investigating",
        "message": "Payments time out.", "notify": "y"}


def prepare(app, size):
    from statusmail.extensions import db
    from statusmail.models import SiteSettings
    from tests.support import world
    started = time.perf_counter()
    world.grow(app, size, 0, 0)
    with app.app_context():
        SiteSettings.get().notifications_enabled = True
        db.session.commit()
    analyze(app)
    print(f"loaded {size:,} subscribers in {time.perf_counter() - started:.1f} s", flush=True)


def publish_once(app, client):
    """Seconds the POST took; its queued expansion job is dropped (no worker runs)."""
    from statusmail.queues import get_queue
    from tests.support.web import csrf_token
    token = csrf_token(client.get("/admin/incidents/new").text)
    started = time.perf_counter()
    response = client.post("/admin/incidents/new", data={"csrf_token": token, **FORM})
    elapsed = time.perf_counter() - started
    if response.status_code != 302:
        raise SystemExit(f"bench: publishing answered {response.status_code}")
    with app.app_context():
        get_queue("fanout").empty()
    return elapsed


def _naive_utc(moment):
    from datetime import timezone
    if moment is not None and moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
    return moment


def _jobs_of(notice, prefix, created):
    """RQ's record of this notice's jobs whose id starts with ``prefix``, started first.

    Both worlds share one Redis and number their notices alike: only jobs queued after
    this notice was created are its own."""
    from rq.job import Job
    from rq.registry import FinishedJobRegistry, StartedJobRegistry

    from statusmail.queues import get_queue, redis_connection
    queue = get_queue("fanout")
    ids = {job_id for registry in (FinishedJobRegistry(queue=queue),
                                   StartedJobRegistry(queue=queue))
           for job_id in registry.get_job_ids(cleanup=False)
           if job_id.startswith(f"{prefix}-{notice}-")}
    jobs = [job for job in Job.fetch_many(sorted(ids), connection=redis_connection())
            if job is not None and job.started_at is not None
            and _naive_utc(job.enqueued_at) >= created]
    return sorted(jobs, key=lambda job: _naive_utc(job.started_at))


def _breakdown(row):
    """Seconds from publish to: expansion started, first chunk done, first batch started."""
    created = row.created_at
    expansions = _jobs_of(row.id, "expand", created)
    batches = _jobs_of(row.id, "fanout", created)
    if not expansions or not batches or expansions[0].ended_at is None:
        return None
    return {"expansion_started": (_naive_utc(expansions[0].started_at) - created).total_seconds(),
            "first_chunk_done": (_naive_utc(expansions[0].ended_at) - created).total_seconds(),
            "first_batch_started": (_naive_utc(batches[0].started_at) - created).total_seconds(),
            "first_accepted": (row.first_sent_at - created).total_seconds()}


def _idle(app):
    from rq.registry import StartedJobRegistry

    from statusmail.queues import get_queue
    queue = get_queue("fanout")
    return not queue.count and not StartedJobRegistry(queue=queue).get_job_ids(cleanup=False)


def first_mail(app, client, url, sink_port, count, workdir, repeat):
    """Seconds from each notice's creation to its first accepted mail, with idle workers,
    and where the time went for each."""
    from statusmail.extensions import db
    from statusmail.fanout import cancel_notification
    from statusmail.models import Notification, SiteSettings
    from tests.support.web import csrf_token
    with app.app_context():
        settings = SiteSettings.get()
        settings.provider, settings.smtp_security, settings.smtp_timeout = "smtp", "none", 30
        settings.smtp_host, settings.smtp_port = "127.0.0.1", sink_port
        settings.from_address, settings.from_name = "status@example.com", "Bench Status"
        db.session.commit()
    env = {**os.environ, "DATABASE_URL": url}
    samples = []
    with ExitStack() as stack:
        with app.app_context():
            stack.enter_context(workers(count, env, workdir))
        for _ in range(repeat):
            # Requests outside the bench's app context: each gets its own, as in production.
            with app.app_context():
                wait_until(lambda: _idle(app), 120, "the workers to be idle")
            token = csrf_token(client.get("/admin/incidents/new").text)
            client.post("/admin/incidents/new", data={"csrf_token": token, **FORM})
            with app.app_context():
                notice = db.session.scalar(db.select(Notification.id)
                                           .order_by(Notification.id.desc()).limit(1))

                def sent():
                    db.session.expire_all()
                    return db.session.get(Notification, notice).first_sent_at is not None
                wait_until(sent, 60, "the first mail")
                row = db.session.get(Notification, notice)
                samples.append({"first_mail_s": (row.first_sent_at - row.created_at)
                                .total_seconds(), "breakdown_s": _breakdown(row)})
                cancel_notification(notice)
                db.session.remove()
    return samples


def main():
    args = parse_args()
    with tempfile.TemporaryDirectory(prefix="statusmail-bench-publish-") as workdir:
        prepare_environment(workdir)
        small_url, large_url, cleanup = database_urls(workdir)
        try:
            worlds = {}
            for label, url, size in (("small", small_url, args.small),
                                     ("large", large_url, args.large)):
                app, client = make_app(url)
                prepare(app, size)
                worlds[label] = (app, client, url)
            times = {label: [] for label in worlds}
            for label, (app, client, _) in worlds.items():
                publish_once(app, client)  # warm
            for _ in range(args.repeat):
                for label, (app, client, _) in worlds.items():
                    times[label].append(publish_once(app, client) * 1000)
            latencies = {}
            with smtp_sink(args.sink) as (sink_name, sink_port, _):
                for label, (app, client, url) in worlds.items():
                    latencies[label] = first_mail(app, client, url, sink_port, args.workers,
                                                  workdir, args.first_mail_repeat)
            from statusmail.extensions import db
            with worlds["small"][0].app_context():
                dialect = db.engine.dialect.name
            report(dialect, args, times, latencies, sink_name)
            for app, _, _ in worlds.values():
                with app.app_context():
                    db.engine.dispose()
                app.extensions["redis"].close()
        finally:
            cleanup()
            from statusmail.embedded_redis import stop_embedded_redis
            stop_embedded_redis(os.environ["STATUSMAIL_INSTANCE_PATH"])  # before its directory goes
    return 0


def report(dialect, args, times, latencies, sink_name):
    p50 = {label: statistics.median(values) for label, values in times.items()}
    p95 = {label: sorted(values)[max(0, round(0.95 * len(values)) - 1)]
           for label, values in times.items()}
    ratio = p50["large"] / p50["small"]
    print(f"\npublish request on {dialect} ({args.repeat} requests each, interleaved)")
    for label, size in (("small", args.small), ("large", args.large)):
        print(f"  {size:>9,} subscribers: p50 {p50[label]:7.1f} ms  p95 {p95[label]:7.1f} ms")
    print(f"  ratio {ratio:.2f}× (target ≤ 1.5×)")
    print(f"publish → first mail accepted ({args.workers} idle workers, {sink_name}, "
          f"{args.first_mail_repeat} notices each):")
    first = {}
    for label, size in (("small", args.small), ("large", args.large)):
        values = sorted(sample["first_mail_s"] for sample in latencies[label])
        first[label] = {"p50": statistics.median(values), "max": values[-1]}
        median = min(latencies[label],
                     key=lambda sample: abs(sample["first_mail_s"] - first[label]["p50"]))
        parts = median["breakdown_s"] or {}
        steps = ", ".join(f"{name.replace('_', ' ')} {seconds:.3f}"
                          for name, seconds in parts.items())
        print(f"  {size:>9,} subscribers: p50 {first[label]['p50']:.3f} s, "
              f"max {first[label]['max']:.3f} s  (median notice, s after publish: {steps})")
    print(f"  target < 1 s at the large list: "
          f"{'met' if first['large']['max'] < 1 else 'NOT met'} (max of the large list)")
    os.makedirs(args.json, exist_ok=True)
    path = os.path.join(args.json, f"publish_request-{dialect}.json")
    with open(path, "w") as fh:
        json.dump({"dialect": dialect, "small": args.small, "large": args.large,
                   "p50_ms": p50, "p95_ms": p95, "ratio": ratio,
                   "first_mail_s": first, "first_mail_samples": latencies}, fh, indent=1)
    print(f"wrote {path}")


if __name__ == "__main__":
    sys.exit(main())
