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
"""
import hashlib
import ipaddress
import math
import time
from dataclasses import dataclass

from flask import current_app

from ...queues import redis_connection

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

# KEYS: pair hash, client counter, account set, pair noted flag, client noted flag.
# ARGV: now ms, free failures, first delay ms, max delay ms, memory s, client cap, window s.
# Returns {0, 0, 0} when admitted, else {scope (1 pair, 2 client), wait ms, first refusal}.
_ADMIT_SIGNIN = """
local now = tonumber(ARGV[1])
local wait_until = tonumber(redis.call('HGET', KEYS[1], 'until') or '0')
if now < wait_until then
  local first = redis.call('SET', KEYS[4], '1', 'NX', 'PX', wait_until - now)
  return {1, wait_until - now, first and 1 or 0}
end
local client = tonumber(redis.call('GET', KEYS[2]) or '0')
if client >= tonumber(ARGV[6]) then
  local ttl = redis.call('PTTL', KEYS[2])
  if ttl < 0 then ttl = tonumber(ARGV[7]) * 1000 end
  local first = redis.call('SET', KEYS[5], '1', 'NX', 'PX', ttl)
  return {2, ttl, first and 1 or 0}
end
local failures = redis.call('HINCRBY', KEYS[1], 'failures', 1)
local free = tonumber(ARGV[2])
local delay = 0
if failures >= free then
  delay = math.min(tonumber(ARGV[3]) * 2 ^ (failures - free), tonumber(ARGV[4]))
end
redis.call('HSET', KEYS[1], 'until', now + delay)
local memory = tonumber(ARGV[5]) + math.ceil(delay / 1000)
redis.call('EXPIRE', KEYS[1], memory)
if redis.call('INCR', KEYS[2]) == 1 then redis.call('EXPIRE', KEYS[2], ARGV[7]) end
redis.call('SADD', KEYS[3], KEYS[1])
redis.call('EXPIRE', KEYS[3], memory + tonumber(ARGV[4]))
return {0, 0, 0}
"""

# KEYS: pair counter, client counter, account set, pair noted flag, client noted flag.
# ARGV: pair limit, pair window s, client limit, client window s.
_ADMIT_RESET = """
local function refuse(scope, key, flag)
  local ttl = redis.call('PTTL', key)
  if ttl < 0 then ttl = 1000 end
  local first = redis.call('SET', flag, '1', 'NX', 'PX', ttl)
  return {scope, ttl, first and 1 or 0}
end
if tonumber(redis.call('GET', KEYS[1]) or '0') >= tonumber(ARGV[1]) then
  return refuse(1, KEYS[1], KEYS[4])
end
if tonumber(redis.call('GET', KEYS[2]) or '0') >= tonumber(ARGV[3]) then
  return refuse(2, KEYS[2], KEYS[5])
end
if redis.call('INCR', KEYS[1]) == 1 then redis.call('EXPIRE', KEYS[1], ARGV[2]) end
if redis.call('INCR', KEYS[2]) == 1 then redis.call('EXPIRE', KEYS[2], ARGV[4]) end
redis.call('SADD', KEYS[3], KEYS[1])
redis.call('EXPIRE', KEYS[3], ARGV[4])
return {0, 0, 0}
"""

# A fixed window that starts with its first count (Redis 6.2 has no EXPIRE NX).
_COUNT_IN_WINDOW = """
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return count
"""


@dataclass(frozen=True)
class Throttled:
    """A refused attempt: how long to wait, whether the account or the whole client is
    slowed down, and whether this is the first refusal of that wait (worth logging)."""
    retry_after: int
    scope: str
    first: bool


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


def admit_signin(client_ip, email, now=None):
    """Before checking a password: ``None`` to go ahead (counted as a failure until
    ``signin_succeeded``), or ``Throttled``."""
    now_ms = int((time.time() if now is None else now) * 1000)
    script = redis_connection().register_script(_ADMIT_SIGNIN)
    return _refusal(script(keys=_signin_keys(client_ip, email), args=[
        now_ms, _setting("SIGNIN_FREE_FAILURES"), _setting("SIGNIN_FIRST_DELAY_SECONDS") * 1000,
        _setting("SIGNIN_MAX_DELAY_SECONDS") * 1000, _setting("SIGNIN_MEMORY_SECONDS"),
        _setting("SIGNIN_CLIENT_FAILURES_PER_HOUR"), HOUR]))


def signin_succeeded(client_ip, email):
    """The password was right: this client's attempts at this account were no attack."""
    pair, client_key, *_ = _signin_keys(client_ip, email)
    connection = redis_connection()
    with connection.pipeline() as pipe:
        pipe.delete(pair, pair + ":noted")
        pipe.eval("if tonumber(redis.call('GET', KEYS[1]) or '0') > 0 then "
                  "return redis.call('DECR', KEYS[1]) end return 0", 1, client_key)
        pipe.execute()


def admit_reset_request(client_ip, email):
    """Before answering a reset request: ``None`` to go ahead, or ``Throttled``. Depends on
    the address typed, never on whether an account has it."""
    account, client = _account(email), client_network(client_ip)
    pair = f"{PREFIX}reset:{account}:{client}"
    client_key = f"{PREFIX}reset-client:{client}"
    script = redis_connection().register_script(_ADMIT_RESET)
    return _refusal(script(
        keys=[pair, client_key, f"{PREFIX}account:{account}", pair + ":noted",
              client_key + ":noted"],
        args=[_setting("RESET_REQUESTS_PER_PAIR"), _setting("RESET_PAIR_WINDOW_SECONDS"),
              _setting("RESET_REQUESTS_PER_CLIENT"), HOUR]))


def may_send_reset_mail(email):
    """Counts a reset mail for an existing account; False beyond the hourly cap. The mails
    already sent in that hour carry links that still work, so the admin is not blocked."""
    key = f"{PREFIX}reset-mails:{_account(email)}"
    sent = redis_connection().eval(_COUNT_IN_WINDOW, 1, key, HOUR)
    return sent <= _setting("RESET_MAILS_PER_ACCOUNT")


def clear_account(email):
    """Forget every counter of this account (all clients): its owner proved who they are."""
    account = _account(email)
    connection = redis_connection()
    members_key = f"{PREFIX}account:{account}"
    members = list(connection.smembers(members_key))
    noted = [member + b":noted" for member in members]
    connection.delete(members_key, f"{PREFIX}reset-mails:{account}", *members, *noted)
