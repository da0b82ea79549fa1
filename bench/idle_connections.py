"""Does an idle client hold up everyone else? Time GET / with N idle connections open.

Starts the web process as the Procfile does (gunicorn with gunicorn.conf.py) on a free
loopback port, in a throwaway instance directory (SQLite, embedded Redis), and for each
N: opens N idle connections — half "kept alive" (one request answered, then silent, as a
browser leaves them), half "silent" (connected, nothing sent, as a browser's speculative
preconnect) — and times GET / on a fresh connection. N = 0 is the baseline of the same
run; every figure is printed with its ratio to it. ``--also-sync`` repeats the run with
gunicorn's synchronous workers (the server before this change) for comparison.

    .venv/bin/python bench/idle_connections.py [--idle 0,4,16,64] [--requests 20] [--path /]
                                               [--also-sync [--sync-idle 0,4]]
"""
import argparse
import http.client
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
from bench.harness import free_port, wait_until  # noqa: E402

REQUEST_TIMEOUT = 60
path = "/"  # --path


def procfile_web_line():
    with open(os.path.join(ROOT, "Procfile")) as fh:
        for line in fh:
            if line.startswith("web:"):
                return line.split(":", 1)[1].strip()
    raise SystemExit("bench: no web line in the Procfile")


def _port_open(port):
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def start_web(env, port, extra_args, log):
    command = procfile_web_line()
    # The extra arguments go before the app name, which the Procfile line ends with.
    if extra_args:
        head, app = procfile_web_line().rsplit(" ", 1)
        command = f"{head} {extra_args} {app}"
    process = subprocess.Popen(["bash", "-c", "exec " + command], cwd=ROOT,
                               env={**env, "PORT": str(port), "BIND": "127.0.0.1"},
                               stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    wait_until(lambda: process.poll() is not None or _port_open(port), 60, "gunicorn")
    if process.poll() is not None:
        raise SystemExit("bench: gunicorn exited; see its log")
    return process


def stop(process):
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def kept_alive(port):
    sock = socket.create_connection(("127.0.0.1", port), timeout=REQUEST_TIMEOUT)
    sock.sendall(b"GET /static/style.css HTTP/1.1\r\nHost: bench\r\n\r\n")
    received = b""
    try:
        while b"\r\n\r\n" not in received:
            chunk = sock.recv(65536)
            if not chunk:
                break
            received += chunk
    except TimeoutError:
        pass  # a server already held by the other idle sockets: this one waits too
    return sock


def silent(port):
    return socket.create_connection(("127.0.0.1", port), timeout=REQUEST_TIMEOUT)


def time_get(port):
    start = time.perf_counter()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        response.read()
        if response.status != 200:
            raise SystemExit(f"bench: GET {path} answered {response.status}")
    except TimeoutError:
        return float(REQUEST_TIMEOUT)
    finally:
        connection.close()
    return time.perf_counter() - start


def measure(port, idle, requests):
    sockets = []
    try:
        for n in range(idle):
            sockets.append(kept_alive(port) if n % 2 == 0 else silent(port))
        return [time_get(port) for _ in range(requests)]
    finally:
        for sock in sockets:
            sock.close()


def run(label, env, extra_args, idle_counts, requests, log):
    port = free_port()
    process = start_web(env, port, extra_args, log)
    rows = []
    try:
        for _ in range(3):  # warm up: imports, templates, the first DB connection
            time_get(port)
        for idle in idle_counts:
            times = measure(port, idle, requests)
            rows.append((idle, statistics.median(times), max(times)))
    finally:
        stop(process)
    baseline, baseline_worst = rows[0][1], rows[0][2]
    print(f"\n{label}")
    print(f"{'idle connections':>17} {'median GET ' + path:>15} {'max':>10} "
          f"{'median × baseline':>18} {'max × baseline':>15}")
    for idle, median, worst in rows:
        print(f"{idle:>17} {median * 1000:>12.1f} ms {worst * 1000:>7.0f} ms "
              f"{median / baseline:>17.1f}× {worst / baseline_worst:>14.1f}×")
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--idle", default="0,4,16,64",
                        help="idle connection counts, the first is the baseline (default 0,4,16,64)")
    parser.add_argument("--requests", type=int, default=20, help="timed GETs per count")
    parser.add_argument("--path", default="/",
                        help="page to time (default /, which the page cache serves; "
                             "/subscribe renders every time)")
    parser.add_argument("--also-sync", action="store_true",
                        help="repeat with synchronous workers and gunicorn's default 30 s timeout, "
                             "as served before (3 GETs per count; each may wait 30 s or more)")
    parser.add_argument("--sync-idle", default="0,4", help="idle counts for --also-sync (default 0,4)")
    args = parser.parse_args()
    idle_counts = [int(n) for n in args.idle.split(",")]
    global path
    path = args.path

    workdir = tempfile.mkdtemp(prefix="statusmail-bench-idle-")
    instance = os.path.join(workdir, "instance")
    bin_dir = os.path.dirname(sys.executable)
    env = {key: value for key, value in os.environ.items()
           if key not in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "STATUSMAIL_ENCRYPTION_KEY")}
    env.update({"STATUSMAIL_ENV": "development", "STATUSMAIL_INSTANCE_PATH": instance,
                "PATH": bin_dir + os.pathsep + env.get("PATH", "")})
    log_path = os.path.join(workdir, "web.log")
    try:
        subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"], cwd=ROOT,
                       env=env, check=True, capture_output=True)
        workers = env.get("WEB_CONCURRENCY", "2")
        threads = env.get("WEB_THREADS", "8")
        with open(log_path, "ab") as log:
            run(f"gthread (Procfile): {workers} workers × {threads} threads, "
                f"{args.requests} GETs per count", env, "", idle_counts, args.requests, log)
            if args.also_sync:
                run(f"sync workers (before): {workers} workers, 3 GETs per count",
                    env, "--worker-class sync --threads 1 --timeout 30",
                    [int(n) for n in args.sync_idle.split(",")], 3, log)
        print(f"\nhalf the idle connections kept alive after a request, half silent; "
              f"timeouts count as {REQUEST_TIMEOUT} s")
    finally:
        from statusmail.embedded_redis import stop_embedded_redis
        stop_embedded_redis(instance)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
