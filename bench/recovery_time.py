"""Recovery time after a worker is SIGKILLed at a random moment of a fan-out, against the lease.

    .venv/bin/python bench/recovery_time.py                        # SQLite and PostgreSQL
    .venv/bin/python bench/recovery_time.py --databases sqlite --trials 6

A real fan-out (``--subscribers`` confirmed subscribers, batches of ``--batch-size``)
runs through real ``flask worker`` processes and a real ``flask scheduler`` (tick
``--tick``), with the delivery lease at ``--lease`` seconds, against a counting SMTP
sink on loopback. Each trial publishes a notice, waits until a random share of it has
been accepted, and then stops a worker (SIGSTOP) at random moments until it is in the
trial's target phase of a batch's life (see ``kill_windows.PHASES``: between taking the
job and starting it, between job start and claim commit, between DATA and commit, …),
and SIGKILLs it there; a fresh worker takes its place.

The figure is the time from that moment to the last message of the notice the sink
accepted, i.e. until every delivery of the notice is sent. The bound is the lease plus
one scheduler tick (its interval and the run time of one tick, measured here) plus the
time the deliveries the dead worker held take to send over one connection, at one
worker's share of a fault-free fan-out's rate measured first in the same run. Every
trial also counts at the sink: 0 lost, at most one duplicate (with its Message-ID).
PostgreSQL is used when ``--postgres-url`` answers (each run creates its own database).
"""
import argparse
import json
import logging
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from datetime import timedelta

from fanout_memory import seed_subscribers
from fanout_throughput import ROOT, configure_sending, prepare_environment
from harness import wait_until
from kill_windows import TARGETS, AcceptedIndex, held_by, last_accepted, stop_in_phase

sys.path.insert(0, ROOT)
DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--postgres-url", default=os.environ.get("TEST_DATABASE_URL",
                                                                  DEFAULT_POSTGRES))
    parser.add_argument("--subscribers", type=int, default=2_000,
                        help="small enough that the rest of the fan-out ends within the lease")
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--lease", type=int, default=10, help="delivery lease, seconds")
    parser.add_argument("--tick", type=int, default=1, help="scheduler interval, seconds")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--trials", type=int, default=12, help="kills per database")
    parser.add_argument("--seed", default="recovery")
    parser.add_argument("--json", default=os.path.join(ROOT, "bench", "results"))
    parser.add_argument("--database", help=argparse.SUPPRESS)  # one database, in a child
    return parser.parse_args()


def _fresh_postgres(base_url):
    import sqlalchemy as sa
    admin = sa.create_engine(base_url, isolation_level="AUTOCOMMIT")
    url = sa.engine.make_url(base_url)
    name = f"{url.database}_recovery_{os.getpid()}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))

    def drop():
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False), drop


def _make_world(args, sink):
    from statusmail import create_app
    from statusmail.extensions import db
    from tests.reliability.rig import Settings
    settings = Settings(subscribers=args.subscribers, batch_size=args.batch_size,
                        lease=args.lease, tick=args.tick, outage=0, trials=args.trials,
                        kill_trials=args.trials)
    app = create_app({"RATELIMIT_ENABLED": False, **settings.app_config()})
    logging.getLogger().setLevel(logging.WARNING)  # not the sink's line per SMTP command
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            with db.engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA journal_mode=WAL")
        db.drop_all()
        db.create_all()
        configure_sending(sink.port)
        seed_subscribers(app, args.subscribers)
    os.environ["REDIS_URL"] = app.config["REDIS_URL"]  # the workers share this Redis
    return app, settings


def _accepted_at(sink, notification_id):
    prefix = f"<n{notification_id}.d"
    return [message.at for message in sink.snapshot() if message.message_id.startswith(prefix)]


def _fault_free_rate(rig):
    """Messages per second of a whole fan-out with nothing killed (also warms up)."""
    from tests.fanout.helpers import publish_incident
    notification = publish_incident(rig.app, title="Recovery bench: no fault", expand=False)
    rig.wait_completed([notification], rig.completion_budget())
    times = _accepted_at(rig.sink, notification)
    return len(times) / max(max(times) - min(times), 1e-3), max(times) - min(times)


def _tick_seconds(app, runs=5):
    """The run time of one scheduler tick (median), here and now."""
    from statusmail.services import scheduler
    durations = []
    with app.app_context():
        for _ in range(runs):
            started = time.perf_counter()
            scheduler.tick()
            durations.append(time.perf_counter() - started)
    return sorted(durations)[runs // 2]


def trial(rig, number, target, rng, per_worker_rate, tick_run, accepted):
    from tests.fanout.helpers import publish_incident
    settings = rig.settings
    notification = publish_incident(rig.app, title=f"Recovery trial {number}", expand=False)
    offset = rng.uniform(0.02, 0.7)
    wait_until(lambda: accepted.count(notification) >= offset * settings.subscribers,
               rig.completion_budget(), "the random point of the fan-out", every=0.005)
    stopped = stop_in_phase(rig, target, rng, accepted)
    if stopped is None:
        rig.wait_completed([notification], rig.completion_budget())
        return {"target": target, "missed": True}
    name, found, job_id, stopped_at = stopped
    from statusmail.models import utcnow
    stopped_utc = utcnow() - timedelta(seconds=time.monotonic() - stopped_at)
    sent_before = accepted.count(notification)
    held, lease = held_by(rig.app, job_id)
    rig.kill_worker(name)
    rig.start_worker()
    rig.wait_completed([notification], rig.completion_budget())
    recovery = max(0.0, max(_accepted_at(rig.sink, notification)) - stopped_at)
    bound = settings.lease + settings.tick + tick_run + len(held) / per_worker_rate
    outcome = rig.outcome(found, [notification], 1, recovery)
    held_done = last_accepted(rig.sink, notification, held)
    rest_done = last_accepted(rig.sink, notification, held, other=True)
    held_after = held_done - stopped_at if held_done else 0.0
    return {"target": target, "phase": found, "missed": False,
            # Over the bound because of the dead worker's own deliveries, or because the
            # rest of the fan-out (which the kill did not hold) took longer than the lease.
            "over_bound": (None if recovery <= bound
                           else "recovery" if held_after > bound else "rest of the fan-out"),
            "share_sent_at_kill": round(sent_before / settings.subscribers, 3),
            "held": len(held), "recovery_s": round(recovery, 2), "bound_s": round(bound, 2),
            "ratio": round(recovery / bound, 3), "lost": outcome.lost,
            "duplicates": outcome.duplicates,
            "duplicates_keep_message_id": outcome.duplicates_keep_message_id,
            # Where the time went: the claim's lease, the held deliveries, everyone else.
            "lease_left_at_kill_s": (round((lease - stopped_utc).total_seconds(), 2)
                                     if lease and held else None),
            "held_sent_after_s": round(held_done - stopped_at, 2) if held_done else None,
            "others_sent_after_s": round(rest_done - stopped_at, 2) if rest_done else None}


def run_one(args):
    from statusmail.embedded_redis import stop_embedded_redis
    from statusmail.extensions import db
    from tests.reliability.rig import Rig
    from tests.reliability.sink import CountingSink
    workdir = tempfile.mkdtemp(prefix="statusmail-bench-recovery-")
    prepare_environment(workdir)
    drop = None
    if args.database == "postgresql":
        os.environ["DATABASE_URL"], drop = _fresh_postgres(args.postgres_url)
    sink = CountingSink().start()
    rig = None
    try:
        app, settings = _make_world(args, sink)
        rig = Rig(app, sink, settings)
        for _ in range(args.workers):
            rig.start_worker()
        rig.start_scheduler()
        rate, seconds = _fault_free_rate(rig)
        tick_run = _tick_seconds(app)
        print(f"{args.database}: fault-free fan-out {args.subscribers:,} in {seconds:.1f} s "
              f"({rate:.0f} msg/s); a scheduler tick runs {tick_run * 1000:.0f} ms", flush=True)
        rng, accepted = random.Random(f"{args.seed}-{args.database}"), AcceptedIndex(sink)
        results = []
        for number in range(args.trials):
            result = trial(rig, number, TARGETS[number % len(TARGETS)], rng,
                           rate / args.workers, tick_run, accepted)
            results.append(result)
            print(f"  {_line(result)}", flush=True)
        with app.app_context():
            dialect = db.engine.dialect.name
        return _write(args, dialect, rate, seconds, tick_run, results)
    finally:
        if rig is not None:
            for process in rig.workers.values():
                process.send_signal(signal.SIGCONT)
            rig.stop()
        sink.stop()
        stop_embedded_redis(os.environ["STATUSMAIL_INSTANCE_PATH"])
        if drop is not None:
            drop()


def _line(result):
    if result["missed"]:
        return f"{result['target']:32} not reached before the notice finished (not counted)"
    return (f"{result['phase']:32} at {result['share_sent_at_kill']:5.0%} sent, "
            f"held {result['held']:4}: recovered in {result['recovery_s']:5.2f} s, "
            f"bound {result['bound_s']:5.2f} s, ratio {result['ratio']:.2f}, "
            f"lost {result['lost']}, duplicates {result['duplicates']} "
            f"(held sent after {result['held_sent_after_s']} s, the others after "
            f"{result['others_sent_after_s']} s)")


def _table(dialect, counted):
    """Markdown, one row per phase: kills, max figure, its bound, max ratio."""
    lines = ["| database | killed in | kills | max kill → all sent (s) | of which the "
             "held deliveries (s) | bound (s) | max ratio | lost | duplicates |",
             "|---|---|---|---|---|---|---|---|---|"]
    for name in dict.fromkeys(result["phase"] for result in counted):
        group = [result for result in counted if result["phase"] == name]
        worst = max(group, key=lambda result: result["ratio"])
        lines.append(
            f"| {dialect} | {name} | {len(group)} | {worst['recovery_s']:.2f} | "
            f"{max(result['held_sent_after_s'] or 0 for result in group):.2f} | "
            f"{worst['bound_s']:.2f} | {worst['ratio']:.2f} | "
            f"{sum(result['lost'] for result in group)} | "
            f"{sum(result['duplicates'] for result in group)} |")
    return "\n".join(lines)


def _write(args, dialect, rate, seconds, tick_run, results):
    counted = [result for result in results if not result["missed"]]
    failed = [result for result in counted
              if result["over_bound"] == "recovery" or result["lost"]
              or result["duplicates"] > 1 or not result["duplicates_keep_message_id"]]
    slow_rest = [result for result in counted if result["over_bound"] == "rest of the fan-out"]
    summary = {"dialect": dialect, "subscribers": args.subscribers,
               "batch_size": args.batch_size, "lease_s": args.lease, "tick_s": args.tick,
               "workers": args.workers, "fault_free_rate": round(rate, 1),
               "fault_free_seconds": round(seconds, 2),
               "tick_run_s": round(tick_run, 3), "trials": results,
               "max_ratio": max((result["ratio"] for result in counted), default=None),
               "failed": len(failed), "over_bound_by_the_rest_of_the_fanout": len(slow_rest)}
    print(_table(dialect, counted))
    os.makedirs(args.json, exist_ok=True)
    path = os.path.join(args.json, f"recovery_time-{dialect}.json")
    with open(path, "w") as fh:
        json.dump(summary, fh, indent=1)
    print(f"{dialect}: {len(counted)} kills, max ratio {summary['max_ratio']}; "
          f"{len(failed)} recovered later than the bound or lost/duplicated mail; "
          f"{len(slow_rest)} over the bound only because the rest of the fan-out (not held "
          f"by the dead worker) took longer; wrote {path}", flush=True)
    return 1 if failed else 0


def main():
    args = parse_args()
    if args.database:
        return run_one(args)
    failed = []
    for database in args.databases.split(","):
        command = [sys.executable, os.path.abspath(__file__), "--database", database,
                   *sys.argv[1:]]
        if subprocess.run(command, cwd=ROOT).returncode != 0:
            failed.append(database)
    if failed:
        print(f"recovery_time: bound exceeded or trial failed on {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
