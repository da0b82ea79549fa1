"""Every admin page at a small and a large list: p50/p95 time and SQL statements, ratios.

    .venv/bin/python bench/admin_pages.py                       # SQLite, 1k vs 1M
    .venv/bin/python bench/admin_pages.py --large 100000        # quicker
    BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/statusmail_bench \
        .venv/bin/python bench/admin_pages.py

Two databases hold the same world, one at ``--small`` and one at ``--large`` subscribers
(each with one notice delivered to all of them, and ``--rows`` notices, incidents,
windows, captured mails and test sends), bulk-loaded inside the database (INSERT …
SELECT over generate_series / a recursive CTE) and ANALYZEd. Each page is then requested
from the small and the large world in turn, ``--repeat`` times, so that load from other
processes on the machine hits both alike. Pages go through the app's test client,
logged in: the figures are the app's own work (no network). Target: every page within
1.5× of its small-list time, with the same statement count.
"""
import argparse
import json
import os
import statistics
import sys
import tempfile
import time

from fanout_throughput import ROOT, prepare_environment

sys.path.insert(0, ROOT)
TARGET = 1.5
PAGES = [
    "/admin/", "/admin/email", "/admin/email/test", "/admin/email/test/{test_send}",
    "/admin/subscribers", "/admin/subscribers?status=confirmed",
    "/admin/subscribers?status=bounced", "/admin/subscribers?after={subscriber_mid}",
    "/admin/subscribers?before={subscriber_mid}",
    "/admin/subscribers?q=user4242", "/admin/subscribers?q=user1",
    "/admin/subscribers?q=example.org&status=pending", "/admin/subscribers?q=nobody-here",
    "/admin/subscribers/{subscriber}", "/admin/subscribers/{subscriber}/remove",
    "/admin/subscribers/import", "/admin/components", "/admin/components/{component}",
    "/admin/incidents", "/admin/incidents/{incident}", "/admin/incidents/new",
    "/admin/maintenance", "/admin/maintenance/{maintenance}",
    "/admin/deliveries", "/admin/deliveries/{notification}",
    "/admin/deliveries/{notification}?waiting_after={delivery_mid}",
    "/admin/deliveries/{notification}.json", "/admin/captured", "/admin/api-tokens",
]


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=1_000)
    parser.add_argument("--large", type=int, default=1_000_000)
    parser.add_argument("--rows", type=int, default=200,
                        help="notices, incidents, windows, captured mails (both sizes)")
    parser.add_argument("--repeat", type=int, default=15, help="timed requests per page")
    parser.add_argument("--json", default=os.path.join(ROOT, "bench", "results"))
    parser.add_argument("--page", action="append", default=[],
                        help="only this page and those under it, e.g. /admin/deliveries "
                             "(repeatable)")
    args = parser.parse_args()
    if args.page:
        PAGES[:] = [page for page in PAGES if any(
            page == part or page.startswith((part + "?", part + "/", part + "."))
            for part in args.page)]
    return args


def database_urls(workdir):
    """``(small, large, cleanup)``: two SQLite files, or two fresh PostgreSQL databases
    next to the one ``BENCH_DATABASE_URL`` names."""
    base = os.environ.get("BENCH_DATABASE_URL")
    if not base:
        return ("sqlite:///" + os.path.join(workdir, "small.sqlite3"),
                "sqlite:///" + os.path.join(workdir, "large.sqlite3"), lambda: None)
    import sqlalchemy as sa
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    url = sa.engine.make_url(base)
    names = [f"{url.database}_{label}_{os.getpid()}" for label in ("small", "large")]
    with admin.connect() as conn:
        for name in names:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))

    def cleanup():
        with admin.connect() as conn:
            for name in names:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    return (*(url.set(database=name).render_as_string(hide_password=False) for name in names),
            cleanup)


def make_app(database_url):
    import logging

    from statusmail import create_app
    from statusmail.extensions import db
    from tests.support import web
    app = create_app({"RATELIMIT_ENABLED": False, "SQLALCHEMY_DATABASE_URI": database_url})
    logging.getLogger().setLevel(logging.WARNING)
    with app.app_context():
        db.drop_all()
        db.create_all()
    web.create_admin(app)
    client = app.test_client()
    web.login(client)
    return app, client


def analyze(app):
    """Fresh planner statistics, as autovacuum (PostgreSQL) or ANALYZE would give."""
    from statusmail.extensions import db
    with app.app_context():
        with db.engine.connect() as conn:
            conn.exec_driver_sql("ANALYZE")
            conn.commit()


def load(app, size, rows):
    from tests.support import world
    started = time.perf_counter()
    ids = world.grow(app, size, size, rows)
    ids["subscriber_mid"] = ids["subscriber"] + size // 2
    analyze(app)
    print(f"loaded {size:,} subscribers and deliveries in {time.perf_counter() - started:.1f} s",
          flush=True)
    return ids


def _timed(app, client, url):
    from tests.support.sql import counting_statements
    with counting_statements(app) as statements:
        started = time.perf_counter()
        response = client.get(url)
        elapsed = (time.perf_counter() - started) * 1000
    if response.status_code != 200:
        raise SystemExit(f"bench: {url} answered {response.status_code}")
    return elapsed, sum(statements.values())


def _summary(times, queries):
    times = sorted(times)
    return {"p50_ms": statistics.median(times),
            "p95_ms": times[max(0, round(0.95 * len(times)) - 1)], "queries": queries}


def measure(worlds, repeat):
    """``{label: {page: summary}}``, the worlds' requests interleaved page by page."""
    figures = {label: {} for label in worlds}
    for template in PAGES:
        times = {label: [] for label in worlds}
        queries = {}
        for label, (app, client, ids) in worlds.items():
            for _ in range(2):
                client.get(template.format(**ids))
        for _ in range(repeat):
            for label, (app, client, ids) in worlds.items():
                elapsed, queries[label] = _timed(app, client, template.format(**ids))
                times[label].append(elapsed)
        for label in worlds:
            figures[label][template] = _summary(times[label], queries[label])
    return figures


def main():
    args = parse_args()
    with tempfile.TemporaryDirectory(prefix="statusmail-bench-pages-") as workdir:
        prepare_environment(workdir)
        small_url, large_url, cleanup = database_urls(workdir)
        try:
            worlds = {}
            for label, url, size in (("small", small_url, args.small),
                                     ("large", large_url, args.large)):
                app, client = make_app(url)
                worlds[label] = (app, client, load(app, size, args.rows))
            from statusmail.extensions import db
            with worlds["small"][0].app_context():
                dialect = db.engine.dialect.name
            report(dialect, args, measure(worlds, args.repeat))
            for app, _, _ in worlds.values():
                with app.app_context():
                    db.engine.dispose()
                app.extensions["redis"].close()
        finally:
            cleanup()
    return 0


def report(dialect, args, figures):
    small, large = figures["small"], figures["large"]
    print(f"\nadmin pages on {dialect}: {args.small:,} vs {args.large:,} subscribers "
          f"(and deliveries of one notice); p50/p95 ms over {args.repeat} requests")
    print(f"{'page':52} {'small p50/p95':>15} {'large p50/p95':>15} {'ratio':>6} {'queries':>9}")
    worst, rows = 0.0, []
    for page in PAGES:
        a, b = small[page], large[page]
        ratio = b["p50_ms"] / a["p50_ms"]
        worst = max(worst, ratio)
        flat = ratio <= TARGET and a["queries"] == b["queries"]
        rows.append({"page": page, "small": a, "large": b, "ratio": ratio, "ok": flat})
        print(f"{page:52} {a['p50_ms']:7.1f}/{a['p95_ms']:<7.1f} {b['p50_ms']:7.1f}/{b['p95_ms']:<7.1f}"
              f" {ratio:5.2f}× {a['queries']:>4}/{b['queries']:<4}{'' if flat else '  ← over'}")
    print(f"worst p50 ratio {worst:.2f}× (target ≤ {TARGET}×)")
    os.makedirs(args.json, exist_ok=True)
    path = os.path.join(args.json, f"admin_pages-{dialect}.json")
    with open(path, "w") as fh:
        json.dump({"dialect": dialect, "small": args.small, "large": args.large,
                   "pages": rows, "worst_ratio": worst}, fh, indent=1)
    print(f"wrote {path}")


if __name__ == "__main__":
    sys.exit(main())
