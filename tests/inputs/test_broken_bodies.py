"""Bodies that break while being read, sent as raw bytes to real HTTP servers — gunicorn
as the Procfile runs it, and werkzeug's — a 400, never a 500: a body that cannot be
read is the client's fault."""
import socket
import subprocess
import sys

import pytest

from tests.support.processes import PROJECT_ROOT, stop, wait_until
from tests.support.smtp import free_port

BROKEN_CHUNKED = [
    b"zz\r\nemail=a%40example.com\r\n0\r\n\r\n",      # chunk size is not hex
    b"-5\r\nemail\r\n0\r\n\r\n",                       # negative chunk size
    b"ffffffffffffffffffff\r\nemail\r\n0\r\n\r\n",     # larger than any body
    b"5\r\nemail=a%40example.com",                     # chunk longer than its size, cut off
]


def _raw_post(base_url, path, headers, body):
    host, port = base_url.split("//")[1].split(":")
    head = [f"POST {path} HTTP/1.1", f"Host: {host}:{port}", "Connection: close",
            *headers, "", ""]
    with socket.create_connection((host, int(port)), timeout=10) as conn:
        conn.sendall("\r\n".join(head).encode() + body)
        conn.shutdown(socket.SHUT_WR)
        answer = b""
        while chunk := conn.recv(65536):
            answer += chunk
    return int(answer.split(b" ", 2)[1]), answer


def _accepts(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False


@pytest.fixture
def gunicorn(app):
    """The Procfile's web process (one worker) on a free loopback port."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "1",
         "wsgi:app"], cwd=PROJECT_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_until(lambda: process.poll() is not None or _accepts(port), message="gunicorn")
        assert process.poll() is None, process.stderr.read().decode()[-2000:]
        yield f"http://127.0.0.1:{port}"
    finally:
        stop(process)


@pytest.fixture(params=["gunicorn", "werkzeug"])
def server(request):
    if request.param == "gunicorn":
        return request.getfixturevalue("gunicorn")
    return request.getfixturevalue("live_app").base_url


@pytest.mark.parametrize("body", BROKEN_CHUNKED)
def test_malformed_chunked_post_to_the_widget_is_a_400(server, body):
    status, answer = _raw_post(server, "/widget", [
        "Transfer-Encoding: chunked", "Content-Type: application/x-www-form-urlencoded"], body)
    assert status == 400, answer[:300]


def test_malformed_chunked_multipart_is_a_400(server):
    status, answer = _raw_post(server, "/subscribe", [
        "Transfer-Encoding: chunked", "Content-Type: multipart/form-data; boundary=x"],
        b"10\r\n--x\r\nContent-Disposition: form-data; name=\"email\"\r\n\r\nzz\r\n")
    assert status == 400, answer[:300]
