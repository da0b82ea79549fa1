"""The public status page and widget under a crowd, against a bare Flask app.

Starts gunicorn exactly as the Procfile's ``web`` line does, once for statusmail and
once for ``bench/bare_app.py``, drives each with ``wrk`` on loopback, and prints req/s
and the ratio to the bare app measured in the same run (target: ≥ 0.5×). Then checks
that a status change saved meanwhile shows on the next request.

    .venv/bin/python bench/status_page_load.py [--seconds 10] [--connections 32]
Needs ``wrk`` (Debian: ``apt-get install wrk``). ``BENCH_DATABASE_URL`` runs it on
PostgreSQL (a database the bench may fill and empty).
"""
import argparse
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from bench.harness import ROOT, _port_open, _stop, free_port, wait_until  # noqa: E402


def procfile_web_command(app_spec, port):
    """The Procfile's web line with our port, and another WSGI app if asked."""
    with open(os.path.join(ROOT, "Procfile")) as fh:
        line = next(row.split(":", 1)[1] for row in fh if row.startswith("web:"))
    line = line.replace("wsgi:app", app_spec)
    expanded = subprocess.run(["bash", "-c", f"printf '%s\\n' {line}"],
                              env={**os.environ, "PORT": str(port), "BIND": "127.0.0.1"},
                              capture_output=True, text=True, check=True).stdout.split("\n")
    return [arg for arg in expanded if arg]


@contextmanager
def serve(app_spec, env, log_path):
    port = free_port()
    command = procfile_web_command(app_spec, port)
    command = [os.path.join(os.path.dirname(sys.executable), command[0]), *command[1:]]
    command = [arg for arg in command if arg not in ("--access-logfile", "-")]
    with open(log_path, "w") as log:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log,
                                   stderr=subprocess.STDOUT)
        try:
            wait_until(lambda: process.poll() is None and _port_open(port), 60, app_spec)
            yield f"http://127.0.0.1:{port}"
        finally:
            _stop(process)


def wrk(url, seconds, connections):
    output = subprocess.run(["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", url],
                            capture_output=True, text=True, check=True).stdout
    if os.environ.get("BENCH_VERBOSE"):
        print(output)
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if errors:
        raise SystemExit(f"bench: {errors.group(1)} error responses from {url}")
    return rate


def seed(env):
    os.environ.update(env)
    from statusmail import create_app
    from statusmail.extensions import db
    from statusmail.models import Component, Incident, IncidentUpdate
    app = create_app()
    with app.app_context():
        db.drop_all()
        db.create_all()
        components = [Component(name=f"Service {i}", group_name=f"Region {i % 3}",
                                status="operational", position=i) for i in range(12)]
        db.session.add_all(components)
        incident = Incident(title="Elevated error rates", impact="minor", status="investigating")
        db.session.add(incident)
        db.session.flush()
        db.session.add(IncidentUpdate(incident_id=incident.id, status="investigating",
                                      message="We are looking into it."))
        db.session.commit()
        return app, components[0].id


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--json", default=os.path.join(ROOT, "bench", "results",
                                                       "status_page_load.json"))
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("bench: wrk is not installed (Debian: apt-get install wrk)")
    work = tempfile.mkdtemp(prefix="statusmail-bench-")
    env = {**os.environ, "STATUSMAIL_INSTANCE_PATH": os.path.join(work, "instance"),
           "STATUSMAIL_ENV": "development", "REDIS_URL": "",
           "DATABASE_URL": os.environ.get("BENCH_DATABASE_URL")
           or "sqlite:///" + os.path.join(work, "bench.sqlite3")}
    env.pop("STATUSMAIL_SMTP_URL", None)
    try:
        app, component_id = seed(env)
        env["REDIS_URL"] = app.config["REDIS_URL"]  # the embedded one seed() started
        database = app.config["SQLALCHEMY_DATABASE_URI"].split(":", 1)[0]
        results = {"database": database, "seconds": args.seconds,
                   "connections": args.connections, "command": shlex.join(
                       procfile_web_command("wsgi:app", 0))}
        with serve("bench.bare_app:app", env, os.path.join(work, "bare.log")) as bare:
            wrk(bare + "/", 2, args.connections)  # warm-up
            results["bare_rps"] = wrk(bare + "/", args.seconds, args.connections)
        with serve("wsgi:app", env, os.path.join(work, "web.log")) as web:
            for path in ("/", "/widget"):
                wrk(web + path, 2, args.connections)
                results[path] = wrk(web + path, args.seconds, args.connections)
            from statusmail.extensions import db
            from statusmail.models import Component
            with app.app_context():
                db.session.get(Component, component_id).status = "major_outage"
                db.session.commit()
            saved = time.monotonic()
            body = ""
            while "Major outage" not in body:
                body = urllib.request.urlopen(web + "/").read().decode()
                if time.monotonic() - saved > 5:
                    raise SystemExit("bench: the saved change did not show within 5 s")
            results["change_visible_after_s"] = round(time.monotonic() - saved, 3)
        print(f"database: {database}; gunicorn as in the Procfile; wrk -t2 "
              f"-c{args.connections} -d{args.seconds}s")
        print(f"  bare Flask app          {results['bare_rps']:8.0f} req/s")
        for path in ("/", "/widget"):
            print(f"  statusmail {path:<12} {results[path]:8.0f} req/s  "
                  f"{results[path] / results['bare_rps']:.2f}x the bare app (target >= 0.5x)")
        print(f"  a saved change showed after {results['change_visible_after_s']} s")
        os.makedirs(os.path.dirname(args.json), exist_ok=True)
        with open(args.json, "w") as fh:
            json.dump(results, fh, indent=2)
    finally:
        from statusmail.embedded_redis import stop_embedded_redis
        stop_embedded_redis(os.path.join(work, "instance"))
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
