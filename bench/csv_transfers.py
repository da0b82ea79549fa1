"""Subscriber CSV import and export at scale, against a plain bulk INSERT of the same rows.

Each phase runs in a fresh subprocess (so its peak memory is its own, from /proc VmHWM):

- ``insert``: the baseline, the same addresses inserted with executemany in 2,000-row
  chunks, one transaction — no parsing, no checks, no merge;
- ``import``: statusmail's import job on a file of those addresses (the app's own
  export format), from the uploaded file on disk to the committed list;
- ``export``: the export job writing the whole list to a file.

    .venv/bin/python bench/csv_transfers.py --rows 100000 [--rows 1000000] [--profile]
``BENCH_DATABASE_URL`` runs it on PostgreSQL (the bench drops and creates the tables).
Prints each phase's time, the import/insert ratio (target ≤ 3×) and peak memory per
list size (target: flat); writes bench/results/csv_transfers.json. ``--profile`` also
records the import phase with pyinstrument (bench/results/csv_import-<db>-<rows>.html;
the profiler slows calls, so that run's times are not the figures).
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from bench.harness import ROOT, peak_rss_mb  # noqa: E402

CHUNK = 2000


def _app(work, database_name="bench"):
    os.environ.update({"STATUSMAIL_INSTANCE_PATH": os.path.join(work, "instance"),
                       "STATUSMAIL_ENV": "development", "REDIS_URL": os.environ.get(
                           "BENCH_REDIS_URL", ""),
                       "DATABASE_URL": os.environ.get("BENCH_DATABASE_URL")
                       or "sqlite:///" + os.path.join(work, f"{database_name}.sqlite3")})
    from statusmail import create_app
    return create_app()


def _rows(count):
    return ({"email": f"person{n}@example.com", "status": "confirmed", "source": "import"}
            for n in range(count))


def _bulk_insert(db, model, count):
    """The baseline's way to write rows: executemany in CHUNK-row batches, one commit."""
    from sqlalchemy import insert
    batch = []
    for row in _rows(count):
        batch.append(row)
        if len(batch) == CHUNK:
            db.session.execute(insert(model), batch)
            batch = []
    if batch:
        db.session.execute(insert(model), batch)
    db.session.commit()


def _profiled(run, enabled, rows, dialect):
    if not enabled:
        return run()
    from pyinstrument import Profiler
    profiler = Profiler()
    with profiler:
        outcome = run()
    os.makedirs(os.path.join(ROOT, "bench", "results"), exist_ok=True)
    path = os.path.join(ROOT, "bench", "results", f"csv_import-{dialect}-{rows}.html")
    with open(path, "w") as fh:
        fh.write(profiler.output_html())
    sys.stderr.write(profiler.output_text(color=False) + f"\n(profile in {path})\n")
    return outcome


def phase(name, rows, work, profile=False):
    """One measurement, in this (fresh) process; prints a JSON line."""
    from sqlalchemy import func, select
    app = _app(work, f"{name}-{rows}")  # SQLite: a fresh file per phase
    from statusmail.extensions import db
    from statusmail.models import Subscriber, SubscriberTransfer
    from statusmail.services.transfers import run_transfer
    from statusmail.services.transfers import files
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            # The schema carries more than the models (search index, count triggers).
            with db.engine.begin() as connection:
                connection.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
        db.create_all()
        start = time.perf_counter()
        if name == "insert":
            _bulk_insert(db, Subscriber, rows)
        elif name == "import":
            file_name = files.new_name(".upload")
            with files.open_new(file_name) as out:
                out.write(b"email,status\n")
                for row in _rows(rows):
                    out.write(f"{row['email']},confirmed\n".encode())
            transfer = SubscriberTransfer(kind="import", mode="mark_confirmed", phase="reading",
                                          file_name=file_name, original_name="bench.csv")
            db.session.add(transfer)
            db.session.commit()
            start = time.perf_counter()
            _profiled(lambda: run_transfer(transfer.id), profile, rows, db.engine.dialect.name)
        elif name == "export":
            _bulk_insert(db, Subscriber, rows)
            transfer = SubscriberTransfer(kind="export", status_filter="all",
                                          file_name=files.new_name(".csv"))
            db.session.add(transfer)
            db.session.commit()
            start = time.perf_counter()
            run_transfer(transfer.id)
        elapsed = time.perf_counter() - start
        count = db.session.scalar(select(func.count()).select_from(Subscriber))
        state = (db.session.scalar(select(SubscriberTransfer.state)) if name != "insert"
                 else "done")
        dialect = db.engine.dialect.name
    print(json.dumps({"phase": name, "rows": rows, "seconds": round(elapsed, 2),
                      "subscribers": count, "state": state, "database": dialect,
                      "peak_rss_mb": round(peak_rss_mb(os.getpid()), 1)}))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, action="append")
    parser.add_argument("--profile", action="store_true",
                        help="profile the import phase with pyinstrument")
    parser.add_argument("--phase", help=argparse.SUPPRESS)
    parser.add_argument("--work", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        return phase(args.phase, args.rows[0], args.work, args.profile)
    sizes = args.rows or [10_000, 100_000]
    work = tempfile.mkdtemp(prefix="statusmail-bench-")
    results = []
    try:
        app = _app(work)  # starts the embedded Redis once, shared by the phases
        env = {**os.environ, "BENCH_REDIS_URL": app.config["REDIS_URL"]}
        for rows in sizes:
            for name in ("insert", "import", "export"):
                done = subprocess.run([sys.executable, __file__, "--phase", name, "--rows",
                                       str(rows), "--work", work,
                                       *(["--profile"] if args.profile else [])],
                                      cwd=ROOT, env=env, capture_output=True, text=True)
                if args.profile and name == "import":
                    sys.stderr.write(done.stderr)
                if done.returncode:
                    raise SystemExit(f"bench: the {name} phase failed:\n{done.stderr[-3000:]}")
                out = done.stdout
                results.append(json.loads(out.strip().splitlines()[-1]))
                if results[-1]["state"] != "done" or results[-1]["subscribers"] != rows:
                    raise SystemExit(f"bench: {name} of {rows} did not finish: {results[-1]}")
    finally:
        from statusmail.embedded_redis import stop_embedded_redis
        stop_embedded_redis(os.path.join(work, "instance"))
        shutil.rmtree(work, ignore_errors=True)
    by = {(r["phase"], r["rows"]): r for r in results}
    print(f"database: {results[0]['database']}")
    for rows in sizes:
        base, imp, exp = (by[(name, rows)] for name in ("insert", "import", "export"))
        print(f"  {rows:>9,} rows: bulk INSERT {base['seconds']:7.2f} s | import "
              f"{imp['seconds']:7.2f} s = {imp['seconds'] / base['seconds']:.2f}x INSERT "
              f"(target <= 3x), peak {imp['peak_rss_mb']} MB | export {exp['seconds']:6.2f} s, "
              f"peak {exp['peak_rss_mb']} MB")
    os.makedirs(os.path.join(ROOT, "bench", "results"), exist_ok=True)
    with open(os.path.join(ROOT, "bench", "results", "csv_transfers.json"), "w") as fh:
        json.dump(results, fh, indent=2)


if __name__ == "__main__":
    main()
