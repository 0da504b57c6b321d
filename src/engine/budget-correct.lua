-- Corrects an integration's counts downward from a platform's X-MinLimit-Remaining /
-- X-DayLimit-Remaining (another client may share the platform's budget): never raises a budget.
-- ARGV: 1 perMinute, 2 perDay, 3 minRemaining (-1: not given), 4 dayRemaining (-1), 5 minuteMs,
--       6 dayMs, 7 guardMs
local t = redis.call("TIME")
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local perMinute, perDay = tonumber(ARGV[1]), tonumber(ARGV[2])
local minRemaining, dayRemaining = tonumber(ARGV[3]), tonumber(ARGV[4])
local minuteMs, dayMs, guard = tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7])
if minRemaining >= 0 then
  redis.call("ZREMRANGEBYSCORE", KEYS[2], "-inf", now - minuteMs - guard)
  local used = redis.call("ZCARD", KEYS[2])
  local missing = (perMinute - minRemaining) - used
  for i = 1, missing do redis.call("ZADD", KEYS[2], now, "platform:" .. now .. ":" .. i) end
end
if dayRemaining >= 0 then
  local day = tostring(math.floor(now / dayMs))
  local used = tonumber(redis.call("HGET", KEYS[4], day) or "0")
  if perDay - dayRemaining > used then redis.call("HSET", KEYS[4], day, perDay - dayRemaining) end
end
return 1
