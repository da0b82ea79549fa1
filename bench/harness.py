"""Processes the benchmark starts and watches: an SMTP sink, flask workers, Redis.

Every wait polls with a bound; every process started here is stopped here.
"""
import importlib.util
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from contextlib import ExitStack, contextmanager

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(predicate, timeout, what, every=0.02):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise SystemExit(f"bench: gave up waiting for {what} after {timeout:g} s")
        time.sleep(every)


def _port_open(port):
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _stop(process, timeout=10):
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _smtp_sink_binary():
    return shutil.which("smtp-sink") or next(
        (path for path in ("/usr/sbin/smtp-sink", "/usr/lib/postfix/sbin/smtp-sink")
         if os.access(path, os.X_OK)), None)


@contextmanager
def smtp_sink(choice):
    """An SMTP server on loopback that accepts and discards everything; yields its
    name, port and process id."""
    port = free_port()
    binary = _smtp_sink_binary() if choice in ("auto", "smtp-sink") else None
    if choice == "smtp-sink" and binary is None:
        raise SystemExit("bench: smtp-sink is not installed; see bench/README.md")
    if binary:
        # -u: smtp-sink refuses to run as root without a user to drop to.
        user = ["-u", "nobody"] if os.geteuid() == 0 else []
        command, name = [binary, *user, f"127.0.0.1:{port}", "1024"], "postfix smtp-sink"
    else:
        if importlib.util.find_spec("aiosmtpd") is None:
            raise SystemExit("bench: neither smtp-sink nor aiosmtpd is installed; "
                             "pip install -r bench/requirements.txt")
        command = [sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}",
                   "-c", "aiosmtpd.handlers.Sink"]
        name = "aiosmtpd Sink"
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until(lambda: process.poll() is None and _port_open(port), 10, name)
        yield name, port, process.pid
    finally:
        _stop(process)


def peak_rss_mb(pid):
    """The process's high-water resident set (Linux /proc VmHWM), in MB."""
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    raise SystemExit("bench: /proc/<pid>/status has no VmHWM (Linux only)")


def cpu_seconds(pid):
    """User plus system CPU time the process has used so far (Linux /proc)."""
    with open(f"/proc/{pid}/stat") as fh:
        fields = fh.read().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextmanager
def workers(count, env, log_dir, start_timeout=60):
    """``flask worker`` processes, yielded once every one of them is idle and listening."""
    from rq import Worker

    from statusmail.queues import redis_connection
    names = [f"bench-{os.getpid()}-{time.monotonic_ns()}-{i}" for i in range(count)]
    processes = []
    with ExitStack() as stack:
        for name in names:
            log = stack.enter_context(open(os.path.join(log_dir, f"{name}.log"), "w"))
            processes.append(subprocess.Popen(
                [sys.executable, "-m", "flask", "--app", "wsgi", "worker", "--name", name],
                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT))
            stack.callback(_stop, processes[-1])

        def all_listening():
            if any(p.poll() is not None for p in processes):
                raise SystemExit(f"bench: a worker exited; see its log in {log_dir}")
            ready = {w.name for w in Worker.all(connection=redis_connection())
                     if w.get_state() == "idle"}
            return ready >= set(names)
        wait_until(all_listening, start_timeout, "the workers to start")
        yield processes
