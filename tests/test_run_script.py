"""bin/run as a person runs it — real honcho, gunicorn, RQ worker, scheduler and embedded
Redis on a free port in a temporary instance — ended by the signals that end it in real
life: ``kill`` (SIGTERM to the script), Ctrl-C (SIGINT to its process group), a closing
terminal (SIGHUP to the group). Afterwards nothing it started may be left, and the port
must be free for the next ``bin/run``."""
import os
import re
import signal
import socket
import subprocess
import urllib.error
import urllib.request

import psutil
import pytest

from tests.support.processes import PROJECT_ROOT, wait_until
from tests.support.smtp import free_port

RUNNING = "statusmail is running on "
STOPPED = re.compile(r"^statusmail stopped on (SIG[A-Z]+): web, worker and scheduler, "
                     r"and the embedded Redis, exited\.$", re.M)
# Bounds, not measurements: a cold start migrates a new SQLite database first.
START_BOUND = 120
STOP_BOUND = 60


def _status(url):
    """The HTTP status, or ``None`` when nothing answers."""
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return None


class RunScript:
    """One ``bin/run`` in its own session, its output in a file."""

    def __init__(self, tmp_path, redis_url=None):
        self.instance = str(tmp_path / "instance")
        self.port = free_port()
        self.log_path = tmp_path / "run.log"
        env = {name: value for name, value in os.environ.items()
               if not name.startswith("STATUSMAIL_")
               and name not in ("SECRET_KEY", "DATABASE_URL", "REDIS_URL")}
        env.update({"STATUSMAIL_INSTANCE_PATH": self.instance, "PORT": str(self.port),
                    "BIND": "127.0.0.1", "STATUSMAIL_SKIP_SETUP": "1",
                    "WEB_CONCURRENCY": "1", "WEB_THREADS": "2"})
        if redis_url:
            env["REDIS_URL"] = redis_url
        with open(self.log_path, "wb") as out:
            self.process = subprocess.Popen([os.path.join(PROJECT_ROOT, "bin", "run")],
                                            cwd=PROJECT_ROOT, env=env, stdout=out,
                                            stderr=subprocess.STDOUT, start_new_session=True)
        self.started = []

    @property
    def healthz(self):
        return f"http://127.0.0.1:{self.port}/healthz"

    def output(self):
        return self.log_path.read_text(errors="replace")

    def wait_until_running(self):
        wait_until(lambda: RUNNING in self.output() or self.process.poll() is not None,
                   timeout=START_BOUND, interval=0.1, message="bin/run to print its URL")
        assert self.process.poll() is None, self.output()
        # Printed only once the server answers: it answers now, not seconds later.
        assert _status(self.healthz) is not None, self.output()
        # And the whole stack is up: /healthz is 200 once a worker has sent a heartbeat.
        wait_until(lambda: _status(self.healthz) == 200, timeout=START_BOUND,
                   message="a worker's first heartbeat")
        self.started = self._everything_started()

    def _everything_started(self):
        processes = psutil.Process(self.process.pid).children(recursive=True)
        with open(os.path.join(self.instance, "redis.pid")) as fh:
            processes.append(psutil.Process(int(fh.read())))
        commands = " | ".join(" ".join(p.cmdline()) for p in processes)
        for expected in ("honcho start", "gunicorn", "wsgi worker", "wsgi scheduler",
                         "redis-server"):
            assert expected in commands, (expected, commands)
        return processes

    def cleanup(self):
        """After a failed test: end what is left of this run (found by its instance)."""
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        for pid, _ in _processes_of(self.instance):
            try:
                psutil.Process(pid).kill()
            except psutil.NoSuchProcess:
                pass
        self.process.wait(10)


def _alive(process):
    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _processes_of(instance):
    """Any process on the machine still working for this instance directory."""
    found = []
    for process in psutil.process_iter():
        try:
            if process.environ().get("STATUSMAIL_INSTANCE_PATH") == instance or any(
                    instance in part for part in process.cmdline()):
                if process.status() != psutil.STATUS_ZOMBIE:
                    found.append((process.pid, process.cmdline()))
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            continue
    return found


def _port_is_free(port):
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def _end_and_check(run, send, signum):
    run.wait_until_running()
    try:
        send(run.process.pid, signum)
        returncode = run.process.wait(STOP_BOUND)
    finally:
        if run.process.poll() is None:
            run.cleanup()
    output = run.output()
    assert returncode == 128 + signum, (returncode, output[-3000:])
    left = [(p.pid, p.cmdline()) for p in run.started if _alive(p)]
    assert left == [], left
    assert _processes_of(run.instance) == []
    assert _port_is_free(run.port)
    assert not os.path.exists(os.path.join(run.instance, "redis.sock"))
    lines = STOPPED.findall(output)
    assert lines == [signal.Signals(signum).name], output[-3000:]
    assert output.rstrip().splitlines()[-1].startswith("statusmail stopped on ")


@pytest.fixture
def run_script(tmp_path):
    runs = []

    def start(**kwargs):
        runs.append(RunScript(tmp_path, **kwargs))
        return runs[-1]
    yield start
    for run in runs:
        if run.process.poll() is None or _processes_of(run.instance):
            run.cleanup()


def test_sigterm_to_the_script_ends_everything(run_script):
    _end_and_check(run_script(), os.kill, signal.SIGTERM)


def test_ctrl_c_ends_everything(run_script):
    _end_and_check(run_script(), os.killpg, signal.SIGINT)


def test_a_closing_terminal_ends_everything_and_the_redis_started_for_a_dead_url(run_script):
    dead = f"redis://127.0.0.1:{free_port()}/0"
    run = run_script(redis_url=dead)
    _end_and_check(run, os.killpg, signal.SIGHUP)
    assert f"Redis at {dead} does not answer; starting an embedded one" in run.output()
