"""The throttle's Redis scripts: each check-and-count runs atomically, so parallel
requests cannot all slip through one check before any of them is counted."""

# KEYS: pair hash, client counter, account set (every key to clear with the account, kept
# as long as its longest-lived member), pair noted flag, client noted flag.
# ARGV: now ms, free failures, first delay ms, max delay ms, memory s, client cap, window s.
# Returns {0, 0, 0} when admitted, else {scope (1 pair, 2 client), wait ms, first refusal}.
ADMIT_SIGNIN = """
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
if redis.call('TTL', KEYS[3]) < memory then redis.call('EXPIRE', KEYS[3], memory) end
return {0, 0, 0}
"""

# KEYS: pair counter, client counter, account set, pair noted flag, client noted flag.
# ARGV: pair limit, pair window s, client limit, client window s.
ADMIT_RESET = """
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
if redis.call('TTL', KEYS[3]) < tonumber(ARGV[2]) then redis.call('EXPIRE', KEYS[3], ARGV[2]) end
return {0, 0, 0}
"""

# A fixed window that starts with its first count (Redis 6.2 has no EXPIRE NX).
COUNT_IN_WINDOW = """
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return count
"""
