"""Peak memory of the publisher and of the workers, at a small and at a huge list.

The **publisher** is the publish path: ``publish_event`` (the request's part) and then the
whole expansion of the audience into delivery rows, with every batch job queued, run in a
fresh process of its own (``python bench/fanout_memory.py publish``) so that its peak
resident set (``VmHWM``) is its own. In production the expansion runs as jobs on the
workers; running its chunks back to back in one process is the worst case for memory.

The **workers** then send a bounded slice, the first ``slice`` deliveries of that notice,
at both list sizes, after which the notice is paused (the remaining jobs find nothing to
claim). Their peak RSS is read from ``/proc`` while they still run.
"""
import json
import os
import subprocess
import sys
import time

from harness import ROOT, peak_rss_mb, wait_until, workers

sys.path.insert(0, ROOT)


def seed_subscribers(app, want):
    """Grow the list to ``want`` confirmed subscribers with one INSERT … SELECT per
    chunk of 100,000, generated inside the database."""
    from sqlalchemy import func, select, text

    from statusmail.extensions import db
    from statusmail.models import Subscriber, utcnow
    from tests.support.world import _sequence

    with app.app_context():
        have = db.session.scalar(select(func.count()).select_from(Subscriber))
        start = db.session.scalar(select(func.max(Subscriber.id))) or 0
        link_key = ("md5(random()::text || n)" if db.engine.dialect.name == "postgresql"
                    else "lower(hex(randomblob(16)))")
        for first in range(start, start + want - have, 100_000):
            last = min(first + 100_000, start + want - have)
            db.session.execute(text(
                f"INSERT INTO subscribers (email, status, source, created_at, confirmed_at, "
                f"bounce_count, all_components, notify_incidents, notify_maintenance, "
                f"notify_component_changes, link_key) "
                f"SELECT 'bulk' || n || '@example.net', 'confirmed', 'import', :now, :now, "
                f"0, true, true, true, true, {link_key} FROM {_sequence(first, last)}"),
                {"now": utcnow()})
            db.session.commit()
        if db.engine.dialect.name == "postgresql":
            db.session.execute(text("ANALYZE subscribers"))
        db.session.commit()


def publish_and_expand():
    """Child process: publish one notice and expand its whole audience; print JSON."""
    from fanout_throughput import publish_incident
    from statusmail import create_app
    from statusmail.extensions import db
    from statusmail.fanout.expand import expand_chunk
    from statusmail.models import Notification

    app = create_app()
    with app.app_context():
        started = time.perf_counter()
        notification = publish_incident(int(time.time()))
        published = time.perf_counter() - started
        notification_id = notification.id
        chunk = app.config.get("FANOUT_EXPAND_CHUNK", 5000)
        while expand_chunk(notification_id, chunk) is not None:
            pass
        total = db.session.get(Notification, notification_id).total
        print(json.dumps({"notification_id": notification_id, "deliveries": total,
                          "publish_seconds": published,
                          "expand_seconds": time.perf_counter() - started - published,
                          "peak_rss_mb": peak_rss_mb(os.getpid())}))


def measure_memory(app, env, log_dir, worker_count, slice_size, timeout):
    """Publisher's and workers' peak RSS for the list as it is now."""
    from statusmail.extensions import db
    from statusmail.fanout import pause_notification
    from statusmail.fanout.counts import state_counts
    from statusmail.queues import get_queue

    out = subprocess.run([sys.executable, os.path.abspath(__file__), "publish"], env=env,
                         cwd=os.path.join(ROOT, "bench"), capture_output=True, text=True,
                         timeout=timeout)
    if out.returncode != 0:
        raise SystemExit(f"bench: the publisher failed:\n{out.stderr[-3000:]}")
    publisher = json.loads(out.stdout.strip().splitlines()[-1])
    notification_id = publisher["notification_id"]
    target = min(slice_size, publisher["deliveries"])
    with app.app_context(), workers(worker_count, env, log_dir, timeout) as processes:
        def sent_enough():
            sent = state_counts([notification_id])[notification_id]["sent"]
            db.session.rollback()
            return sent >= target
        wait_until(sent_enough, timeout, f"{target} mails of notification #{notification_id}",
                   every=0.1)
        worker_rss = max(peak_rss_mb(process.pid) for process in processes)
        pause_notification(notification_id)
        get_queue("fanout").empty()  # the rest would only find the notice paused
    return {"subscribers": publisher["deliveries"], "sent_slice": target,
            "publisher_peak_rss_mb": publisher["peak_rss_mb"],
            "publish_seconds": publisher["publish_seconds"],
            "expand_seconds": publisher["expand_seconds"], "worker_peak_rss_mb": worker_rss}


if __name__ == "__main__" and sys.argv[1:] == ["publish"]:
    publish_and_expand()
