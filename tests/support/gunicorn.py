"""The web process as the Procfile starts it: gunicorn with gunicorn.conf.py, on a free
loopback port, sharing the tests' database and Redis, its output in a file to read."""
import os
import signal
import socket
import subprocess
import sys
import tempfile
from contextlib import contextmanager

from tests.support.processes import PROJECT_ROOT, wait_until
from tests.support.smtp import free_port


def procfile_command(process="web"):
    with open(os.path.join(PROJECT_ROOT, "Procfile")) as fh:
        for line in fh:
            name, _, command = line.partition(":")
            if name.strip() == process:
                return command.strip()
    raise AssertionError(f"no {process} line in the Procfile")


def _answers(port):
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


class Gunicorn:
    def __init__(self, process, port, log_path):
        self.process, self.port, self.log_path = process, port, log_path
        self.base_url = f"http://127.0.0.1:{port}"

    def log(self):
        with open(self.log_path, errors="replace") as fh:
            return fh.read()


def start_web(env=None, log_dir=None):
    """Start the Procfile's web line and return once the port answers (or the process ended)."""
    port = free_port()
    log_path = os.path.join(log_dir or tempfile.mkdtemp(prefix="statusmail-web-"), "web.log")
    bin_dir = os.path.dirname(sys.executable)
    full_env = {**os.environ, "PORT": str(port), "BIND": "127.0.0.1",
                "PATH": bin_dir + os.pathsep + os.environ.get("PATH", ""), **(env or {})}
    with open(log_path, "wb") as out:
        process = subprocess.Popen(["bash", "-c", "exec " + procfile_command()], cwd=PROJECT_ROOT,
                                   env=full_env, stdout=out, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    return Gunicorn(process, port, log_path)


def stop_web(web, timeout=20):
    if web.process.poll() is None:
        web.process.send_signal(signal.SIGTERM)
        try:
            web.process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(web.process.pid, signal.SIGKILL)
            web.process.wait(timeout)


@contextmanager
def running_web(env=None, log_dir=None):
    web = start_web(env, log_dir)
    try:
        wait_until(lambda: web.process.poll() is not None or _answers(web.port), timeout=60,
                   message="gunicorn to listen")
        assert web.process.poll() is None, web.log()
        yield web
    finally:
        stop_web(web)


