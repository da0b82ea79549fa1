"""The provider's sending limits, shared by every worker through Redis.

Per second: a sliding log (a sorted set of send times), so no one-second interval ever
holds more than the limit, even across a window boundary. Per day: a counter per UTC
day. Both are checked and taken in one Lua script, with Redis's clock, so workers on
machines whose clocks differ still share one budget.
"""
import uuid
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from ..queues import redis_connection

KEY_PREFIX = "statusmail:rate:"
_SCRIPT = """
local now = redis.call('TIME')
local now_us = tonumber(now[1]) * 1000000 + tonumber(now[2])
local per_second, per_day = tonumber(ARGV[1]), tonumber(ARGV[2])
local day_key = KEYS[2] .. ':' .. math.floor(tonumber(now[1]) / 86400)
if per_day > 0 and tonumber(redis.call('GET', day_key) or '0') >= per_day then
  return {-1, 0}
end
if per_second > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now_us - 1000000)
  if redis.call('ZCARD', KEYS[1]) >= per_second then
    local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
    return {0, tonumber(oldest[2]) + 1000000 - now_us}
  end
  redis.call('ZADD', KEYS[1], now_us, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], 2000)
end
if per_day > 0 then
  redis.call('INCR', day_key)
  redis.call('EXPIRE', day_key, 172800)
end
return {1, 0}
"""


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    wait_seconds: float = 0.0  # per-second limit reached: try again after this
    day_spent: bool = False  # the day's budget is gone: wait for the next UTC day


def next_utc_day(now):
    return datetime.combine(now.date() + timedelta(days=1), time())


class SendRate:
    """``acquire()`` before each message; unlimited settings never touch Redis."""

    def __init__(self, settings):
        self.per_second = max(settings.rate_per_second or 0, 0)
        self.per_day = max(settings.rate_per_day or 0, 0)
        provider = settings.provider + (f":{settings.smtp_host}" if settings.provider == "smtp"
                                        else "")
        self.keys = [f"{KEY_PREFIX}{provider}:second", f"{KEY_PREFIX}{provider}:day"]
        self._script = None
        self._member = uuid.uuid4().hex
        self._sequence = 0

    @property
    def limited(self):
        return bool(self.per_second or self.per_day)

    def acquire(self):
        """Take one send from the budget, or say how long to wait."""
        if not self.limited:
            return Verdict(True)
        if self._script is None:
            self._script = redis_connection().register_script(_SCRIPT)
        self._sequence += 1
        status, wait_us = self._script(keys=self.keys, args=[
            self.per_second, self.per_day, f"{self._member}:{self._sequence}"])
        if status == -1:
            return Verdict(False, day_spent=True)
        if status == 0:
            return Verdict(False, wait_seconds=max(int(wait_us), 1000) / 1_000_000)
        return Verdict(True)
