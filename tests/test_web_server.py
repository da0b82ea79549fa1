"""The web process the Procfile runs: a real gunicorn on loopback, read from outside."""
import http.client
import re
import socket
import urllib.error
import urllib.request

from statusmail.log_redaction import PLACEHOLDER, TOKEN_ARGUMENT
from tests.support.gunicorn import running_web
from tests.support.processes import wait_until

# How long a request may wait for its answer. Sync workers held by idle sockets answered
# after 30 s or more; threaded workers answer at once. A bound, not a measurement.
ANSWER_BOUND = 15
ACCESS_LINE = re.compile(r'"(?:GET|POST) \S+ HTTP/1\.1" \d{3} ')


def _tokened_requests(app):
    """(method, path, secret) for every route that takes a token, derived from the URL map."""
    found = []
    for index, rule in enumerate(app.url_map.iter_rules()):
        if TOKEN_ARGUMENT not in rule.arguments:
            continue
        secret = f"sEcReT{index}x.tok-en_{index}"
        path = re.sub(r"<(?:(\w+):)?(\w+)>",
                      lambda m: secret if m.group(2) == TOKEN_ARGUMENT else "1", rule.rule)
        method = "GET" if "GET" in rule.methods else sorted(rule.methods - {"OPTIONS"})[0]
        found.append((method, path, secret))
    return found


def _request(web, method, path, headers=None, body=None):
    connection = http.client.HTTPConnection("127.0.0.1", web.port, timeout=ANSWER_BOUND)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def test_access_and_error_logs_carry_no_link_tokens(app):
    requests = _tokened_requests(app)
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules() if TOKEN_ARGUMENT in rule.arguments}
    assert {"public.confirm", "public.manage", "public.unsubscribe",
            "public.unsubscribe_one_click", "admin.reset_password"} <= endpoints
    with running_web() as web:
        referer_secret = "rEfErErsEcReT"
        for method, path, _ in requests:
            status = _request(web, method, path + "?utm=1", headers={
                "Referer": f"{web.base_url}/manage/{referer_secret}",
                "Content-Type": "application/x-www-form-urlencoded"},
                body="List-Unsubscribe=One-Click" if method == "POST" else None)
            assert status < 500, (method, path, status)
        wait_until(lambda: len(ACCESS_LINE.findall(web.log())) >= len(requests),
                   message="an access log line per request")
        log = web.log()
    for method, path, secret in requests:
        assert secret not in log, (path, log)
        assert path.replace(secret, PLACEHOLDER) + "?utm=1" in log, (path, log)
    assert referer_secret not in log
    assert f"/manage/{PLACEHOLDER}" in log


def _silent_socket(port):
    sock = socket.create_connection(("127.0.0.1", port), timeout=ANSWER_BOUND)
    return sock


def _kept_alive_socket(port):
    """A connection that made one request and then stays open, silent, like a browser's."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=ANSWER_BOUND)
    sock.sendall(b"GET /static/style.css HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n")
    received = b""
    while b"\r\n\r\n" not in received:
        received += sock.recv(65536)
    return sock


def test_idle_connections_do_not_hold_the_server(app):
    workers = 2
    with running_web(env={"WEB_CONCURRENCY": str(workers)}) as web:
        assert "Using worker: gthread" in web.log()
        idle = [_silent_socket(web.port) for _ in range(2 * workers)]
        idle += [_kept_alive_socket(web.port) for _ in range(2 * workers)]
        try:
            with urllib.request.urlopen(web.base_url + "/", timeout=ANSWER_BOUND) as response:
                assert response.status == 200
        except (TimeoutError, urllib.error.URLError) as exc:
            raise AssertionError(f"GET / got no answer within {ANSWER_BOUND} s with "
                                 f"{len(idle)} idle connections open: {exc}") from None
        finally:
            for sock in idle:
                sock.close()
        assert "WORKER TIMEOUT" not in web.log()
