"""Throttling for sign-in and password-reset requests that slows attackers down without
handing them a lockout.

- Only failures count. An attempt is counted when it is let through (so a burst of
  parallel guesses cannot all pass one check) and un-counted when the password was right.
- Per (client, account): the first ``FREE_FAILURES`` failures cost nothing; from then on
  each attempt waits twice as long as the one before (1 s, 2 s, 4 s … up to 15 min). A
  client that has not been failing is never slowed by another client's failures, so the
  real admin signs in while a stranger hammers the same account.
- Per client, across accounts: at most ``CLIENT_FAILURES_PER_HOUR`` failures an hour.
- The counters are the account's to clear: a password reset or ``create-admin`` does.
- Reset requests: a few per (client, address) and per client; at most
  ``RESET_MAILS_PER_ACCOUNT`` mails an hour per account, beyond which the request is
  answered as usual but sends nothing (the inbox already holds a fresh link).

Counters live in Redis (shared by every web process) under keys made of a hash of the
address and the client's network (an IPv6 client's /64, which one host controls whole).
Numbers can be overridden through the app config (``SIGNIN_*``/``RESET_*``) in tests.

While Redis is unreachable the throttle lets requests through and says so in the log:
the admin must still be able to sign in and read the Redis error on the overview.
"""
import functools
import hashlib
import ipaddress
import logging
import math
import time
from dataclasses import dataclass

import redis
from flask import current_app

from ...queues import redis_connection
from .throttle_scripts import ADMIT_RESET, ADMIT_SIGNIN, COUNT_IN_WINDOW

log = logging.getLogger(__name__)
PREFIX = "statusmail:throttle:"
DEFAULTS = {
    "SIGNIN_FREE_FAILURES": 5,
    "SIGNIN_FIRST_DELAY_SECONDS": 1,
    "SIGNIN_MAX_DELAY_SECONDS": 15 * 60,
    # A (client, account) pair's failures are forgotten an hour after the last one.
    "SIGNIN_MEMORY_SECONDS": 3600,
    "SIGNIN_CLIENT_FAILURES_PER_HOUR": 30,
    "RESET_REQUESTS_PER_PAIR": 3,
    "RESET_PAIR_WINDOW_SECONDS": 15 * 60,
    "RESET_REQUESTS_PER_CLIENT": 10,
    "RESET_MAILS_PER_ACCOUNT": 5,
}
HOUR = 3600

@dataclass(frozen=True)
class Throttled:
    """A refused attempt: how long to wait, whether the account or the whole client is
    slowed down, and whether this is the first refusal of that wait (worth logging)."""
    retry_after: int
    scope: str
    first: bool


def _open_without_redis(fallback):
    """Without Redis, answer ``fallback`` (let the request through) instead of a 500."""
    def decorate(function):
        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            try:
                return function(*args, **kwargs)
            except redis.RedisError as exc:
                log.warning("Sign-in throttling is off while Redis is unreachable (%s): %s",
                            function.__name__, exc)
                return fallback
        return wrapper
    return decorate


def _setting(name):
    return int(current_app.config.get(name, DEFAULTS[name]))


def _account(email):
    return hashlib.sha256((email or "").strip().lower().encode()).hexdigest()[:32]


def client_network(client_ip):
    """The unit an attacker pays for: an IPv4 address, or an IPv6 /64."""
    try:
        address = ipaddress.ip_address(client_ip or "")
    except ValueError:
        return "unknown"
    if address.version == 6:
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False).network_address)
    return str(address)


def _signin_keys(client_ip, email):
    account, client = _account(email), client_network(client_ip)
    pair = f"{PREFIX}signin:{account}:{client}"
    client_key = f"{PREFIX}signin-client:{client}"
    return [pair, client_key, f"{PREFIX}account:{account}", pair + ":noted", client_key + ":noted"]


def _refusal(result):
    scope, wait_ms, first = (int(value) for value in result)
    if scope == 0:
        return None
    return Throttled(retry_after=max(1, math.ceil(wait_ms / 1000)),
                     scope="account" if scope == 1 else "client", first=bool(first))


@_open_without_redis(None)
def admit_signin(client_ip, email, now=None):
    """Before checking a password: ``None`` to go ahead (counted as a failure until
    ``signin_succeeded``), or ``Throttled``."""
    now_ms = int((time.time() if now is None else now) * 1000)
    script = redis_connection().register_script(ADMIT_SIGNIN)
    return _refusal(script(keys=_signin_keys(client_ip, email), args=[
        now_ms, _setting("SIGNIN_FREE_FAILURES"), _setting("SIGNIN_FIRST_DELAY_SECONDS") * 1000,
        _setting("SIGNIN_MAX_DELAY_SECONDS") * 1000, _setting("SIGNIN_MEMORY_SECONDS"),
        _setting("SIGNIN_CLIENT_FAILURES_PER_HOUR"), HOUR]))


@_open_without_redis(None)
def signin_succeeded(client_ip, email):
    """The password was right: this client's attempts at this account were no attack."""
    pair, client_key, *_ = _signin_keys(client_ip, email)
    connection = redis_connection()
    with connection.pipeline() as pipe:
        pipe.delete(pair, pair + ":noted")
        pipe.eval("if tonumber(redis.call('GET', KEYS[1]) or '0') > 0 then "
                  "return redis.call('DECR', KEYS[1]) end return 0", 1, client_key)
        pipe.execute()


@_open_without_redis(None)
def admit_reset_request(client_ip, email):
    """Before answering a reset request: ``None`` to go ahead, or ``Throttled``. Depends on
    the address typed, never on whether an account has it."""
    account, client = _account(email), client_network(client_ip)
    pair = f"{PREFIX}reset:{account}:{client}"
    client_key = f"{PREFIX}reset-client:{client}"
    script = redis_connection().register_script(ADMIT_RESET)
    return _refusal(script(
        keys=[pair, client_key, f"{PREFIX}account:{account}", pair + ":noted",
              client_key + ":noted"],
        args=[_setting("RESET_REQUESTS_PER_PAIR"), _setting("RESET_PAIR_WINDOW_SECONDS"),
              _setting("RESET_REQUESTS_PER_CLIENT"), HOUR]))


@_open_without_redis(True)
def may_send_reset_mail(email):
    """Counts a reset mail for an existing account; False beyond the hourly cap. The mails
    already sent in that hour carry links that still work, so the admin is not blocked."""
    key = f"{PREFIX}reset-mails:{_account(email)}"
    sent = redis_connection().eval(COUNT_IN_WINDOW, 1, key, HOUR)
    return sent <= _setting("RESET_MAILS_PER_ACCOUNT")


@_open_without_redis(None)
def clear_account(email):
    """Forget every counter of this account (all clients): its owner proved who they are."""
    account = _account(email)
    connection = redis_connection()
    members_key = f"{PREFIX}account:{account}"
    members = list(connection.smembers(members_key))
    noted = [member + b":noted" for member in members]
    connection.delete(members_key, f"{PREFIX}reset-mails:{account}", *members, *noted)
