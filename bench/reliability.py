"""The long fault-trial run: tests/reliability at full size, on SQLite and PostgreSQL.

Runs the same trials as the CI-sized suite (``tests/reliability``) with a 10,000-subscriber
list, 20 worker kills at random points and a minute of SMTP outage, once per database,
and prints the table that docs/reliability.md keeps (fault, trials, lost, duplicates,
max recovery time). Counting happens at the SMTP sink; see the test module's docstring.

    .venv/bin/python bench/reliability.py                       # both databases, ~30 min
    .venv/bin/python bench/reliability.py --databases sqlite --subscribers 2000 --kills 5

PostgreSQL is used when ``--postgres-url`` (default: TEST_DATABASE_URL, else the local
``postgresql://postgres@127.0.0.1:5432/test``) answers; each run creates its own database.
"""
import argparse
import collections
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"


def _arguments():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--postgres-url", default=os.environ.get("TEST_DATABASE_URL",
                                                                  DEFAULT_POSTGRES))
    parser.add_argument("--subscribers", type=int, default=10_000)
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--kills", type=int, default=20, help="worker SIGKILL trials")
    parser.add_argument("--trials", type=int, default=3, help="trials of every other fault")
    parser.add_argument("--lease", type=int, default=10, help="delivery lease, seconds")
    parser.add_argument("--tick", type=int, default=1, help="scheduler interval, seconds")
    parser.add_argument("--outage", type=int, default=60, help="SMTP outage, seconds")
    parser.add_argument("--seed", default="reliability")
    parser.add_argument("--json", help="also write every trial's outcome here (JSON lines)")
    return parser.parse_args()


def _run(database, options, results_path):
    env = {**os.environ,
           "STATUSMAIL_RELIABILITY_SUBSCRIBERS": str(options.subscribers),
           "STATUSMAIL_RELIABILITY_BATCH_SIZE": str(options.batch_size),
           "STATUSMAIL_RELIABILITY_KILL_TRIALS": str(options.kills),
           "STATUSMAIL_RELIABILITY_TRIALS": str(options.trials),
           "STATUSMAIL_RELIABILITY_LEASE": str(options.lease),
           "STATUSMAIL_RELIABILITY_TICK": str(options.tick),
           "STATUSMAIL_RELIABILITY_OUTAGE": str(options.outage),
           "STATUSMAIL_RELIABILITY_SEED": options.seed,
           "STATUSMAIL_RELIABILITY_RESULTS": results_path}
    env.pop("TEST_DATABASE_URL", None)
    if database == "postgresql":
        env["TEST_DATABASE_URL"] = options.postgres_url
    command = [sys.executable, "-m", "pytest", "tests/reliability", "-q", "-p", "no:cacheprovider"]
    print(f"reliability: {database}: {' '.join(command[2:])}", flush=True)
    return subprocess.run(command, cwd=ROOT, env=env).returncode


def table(outcomes):
    """Markdown rows: fault, database, trials, subscribers, lost, duplicates (allowed),
    duplicates with a new Message-ID, max recovery."""
    groups = collections.OrderedDict()
    for outcome in outcomes:
        groups.setdefault((outcome["fault"], outcome["database"]), []).append(outcome)
    lines = ["| fault | database | trials | subscribers × notices | lost | duplicates "
             "(allowed) | duplicates with a new Message-ID | max recovery (s) |",
             "|---|---|---|---|---|---|---|---|"]
    for (fault, database), group in groups.items():
        lines.append(
            f"| {fault} | {database} | {len(group)} | "
            f"{group[0]['subscribers']:,} × {group[0]['notices']} | "
            f"{sum(o['lost'] for o in group)} | "
            f"{sum(o['duplicates'] for o in group)} ({sum(o['allowed_duplicates'] for o in group)}) | "
            f"{sum(not o['duplicates_keep_message_id'] for o in group)} | "
            f"{max(o['recovery_seconds'] for o in group):.1f} |")
    return "\n".join(lines)


def main():
    options = _arguments()
    if options.json:
        results_path = options.json
    else:
        handle, results_path = tempfile.mkstemp(prefix="statusmail-reliability-", suffix=".jsonl")
        os.close(handle)
    failed = [database for database in options.databases.split(",")
              if _run(database, options, results_path) != 0]
    with open(results_path, encoding="utf-8") as results:
        outcomes = [json.loads(line) for line in results if line.strip()]
    print(f"\nlease {options.lease} s, scheduler tick {options.tick} s, "
          f"batch {options.batch_size}, SMTP outage {options.outage} s\n")
    print(table(outcomes))
    if failed:
        print(f"\nreliability: trials failed on {', '.join(failed)} (see pytest output)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
