"""Sign-in throttling slows a guesser down without handing anyone a lockout: only failures
count, per (client, account) with growing delays and per client across accounts, and a
client that has not been failing signs in whatever another client does."""
import logging

import pytest
import redis

from statusmail.models import AuditEvent
from statusmail.services.security import throttle
from tests.support import web
from tests.support.smtp import free_port

ATTACKER = "203.0.113.7"
ADMIN_DESK = "198.51.100.2"
WRONG = "not the password"
# A delay long enough that no slow machine lets it pass between two requests.
DELAY = 60


@pytest.fixture
def app(make_app):
    return make_app(SIGNIN_FIRST_DELAY_SECONDS=DELAY)


def attempt(client, ip, email, password):
    return web.submit(client, "/admin/login", {"email": email, "password": password},
                      environ_base={"REMOTE_ADDR": ip})


def test_a_stranger_hammering_the_account_does_not_stop_the_admin(app, admin):
    attacker = app.test_client()
    statuses = [attempt(attacker, ATTACKER, admin.email, WRONG).status_code for _ in range(12)]
    assert statuses == [200] * 5 + [429] * 7
    # Even the right password waits on the attacker's client…
    assert attempt(attacker, ATTACKER, admin.email, web.ADMIN_PASSWORD).status_code == 429
    # …but not on the admin's, which has not been failing.
    desk = app.test_client()
    assert attempt(desk, ADMIN_DESK, admin.email, web.ADMIN_PASSWORD).status_code == 302
    assert desk.get("/admin/", environ_base={"REMOTE_ADDR": ADMIN_DESK}).status_code == 200


def test_successful_sign_ins_never_count(app, client, admin):
    for _ in range(15):
        assert attempt(client, ADMIN_DESK, admin.email, web.ADMIN_PASSWORD).status_code == 302


def test_a_success_forgets_the_clients_earlier_typos(app, client, admin):
    for _ in range(4):
        assert attempt(client, ADMIN_DESK, admin.email, WRONG).status_code == 200
    assert attempt(client, ADMIN_DESK, admin.email, web.ADMIN_PASSWORD).status_code == 302
    for _ in range(5):
        assert attempt(client, ADMIN_DESK, admin.email, WRONG).status_code == 200


def test_the_throttled_page_says_how_long_to_wait_in_the_admin_layout(app, client, admin):
    for _ in range(5):
        attempt(client, ATTACKER, admin.email, WRONG)
    first, second = (attempt(client, ATTACKER, admin.email, WRONG) for _ in range(2))
    for page in (first, second):
        assert page.status_code == 429
        assert 1 <= int(page.headers["Retry-After"]) <= DELAY
        assert '<body class="admin">' in page.text
        assert "too many failed sign-in attempts for this account from your network" in page.text
        assert "Try again in" in page.text and "seconds" in page.text
        assert "per 1" not in page.text  # Flask-Limiter's "10 per 1 hour" is gone


def test_unknown_addresses_are_throttled_like_known_ones(app, client, admin):
    """The throttle must not tell which addresses have an account."""
    known = [attempt(client, ATTACKER, admin.email, WRONG).status_code for _ in range(6)]
    unknown = [attempt(client, ATTACKER, "nobody@example.com", WRONG).status_code
               for _ in range(6)]
    assert known == unknown == [200] * 5 + [429]


def test_one_client_is_capped_across_accounts(make_app, admin):
    app = make_app(SIGNIN_CLIENT_FAILURES_PER_HOUR=3)
    client = app.test_client()
    for n in range(3):
        assert attempt(client, ATTACKER, f"guess{n}@example.com", WRONG).status_code == 200
    capped = attempt(client, ATTACKER, admin.email, WRONG)
    assert capped.status_code == 429 and int(capped.headers["Retry-After"]) > DELAY
    assert "from your network" in capped.text and "for this account" not in capped.text
    assert attempt(app.test_client(), ADMIN_DESK, admin.email,
                   web.ADMIN_PASSWORD).status_code == 302


def test_delays_double_and_are_capped(app):
    with app.app_context():
        now = 1_000_000.0
        for _ in range(5):
            assert throttle.admit_signin(ATTACKER, "a@example.com", now=now) is None
        waits = []
        for _ in range(7):
            refused = throttle.admit_signin(ATTACKER, "a@example.com", now=now)
            waits.append(refused.retry_after)
            assert refused.scope == "account"
            now += refused.retry_after
            assert throttle.admit_signin(ATTACKER, "a@example.com", now=now) is None
    cap = throttle.DEFAULTS["SIGNIN_MAX_DELAY_SECONDS"]
    assert waits == [DELAY, 2 * DELAY, 4 * DELAY, 8 * DELAY, cap, cap, cap]


def test_an_ipv6_client_is_one_network(app):
    assert throttle.client_network("2001:db8:1:2:aaaa::1") == \
        throttle.client_network("2001:db8:1:2:bbbb::9")
    assert throttle.client_network("2001:db8:1:3::1") != throttle.client_network("2001:db8:1:2::1")
    assert throttle.client_network("::ffff:192.0.2.1") == "192.0.2.1"


def test_throttling_is_logged_once_per_wait(app, client, admin):
    for _ in range(9):
        attempt(client, ATTACKER, admin.email, WRONG)
    with app.app_context():
        kinds = [event.kind for event in AuditEvent.query.order_by(AuditEvent.id)]
    assert kinds == ["login_failed"] * 5 + ["login_throttled"]


def test_sign_in_still_works_while_redis_is_unreachable(app, monkeypatch, admin,
                                                          caplog):
    """The overview shows the Redis error; the admin must be able to get there."""
    monkeypatch.setitem(app.extensions, "redis", redis.Redis(
        host="127.0.0.1", port=free_port(), socket_connect_timeout=1))
    client = app.test_client()
    assert attempt(client, ADMIN_DESK, admin.email, WRONG).status_code == 200
    assert attempt(client, ADMIN_DESK, admin.email, web.ADMIN_PASSWORD).status_code == 302
    assert any("throttling is off while Redis is unreachable" in r.getMessage()
               for r in caplog.records if r.levelno == logging.WARNING)


def test_clearing_the_account_frees_every_client_and_no_other_account(app):
    with app.app_context():
        for email in ("a@example.com", "b@example.com"):
            for ip in (ATTACKER, ADMIN_DESK):
                for _ in range(5):
                    throttle.admit_signin(ip, email, now=1000.0)
                assert throttle.admit_signin(ip, email, now=1000.0) is not None
        throttle.clear_account("a@example.com")
        for ip in (ATTACKER, ADMIN_DESK):
            assert throttle.admit_signin(ip, "a@example.com", now=1000.0) is None
            assert throttle.admit_signin(ip, "b@example.com", now=1000.0) is not None
