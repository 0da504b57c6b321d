-- Reads an integration's budget without charging it.
-- KEYS: 1-5 as in budget.lua, 6 the platform's figures (budget-release.lua).
-- ARGV: 1 minuteMs, 2 dayMs, 3 guardMs. Returns {now, inFlight, minuteUsed, exportMinuteUsed, dayUsed,
-- exportDayUsed, oldestMinuteCall or -1, oldestExportMinuteCall or -1, blockedUntil or 0,
-- platform minute remaining or -1, when it was seen or -1, platform day remaining or -1, when or -1,
-- 1 when every window carries its rebuilt mark (budget.lua), else 0, the export minute figure the last
-- export asked under or -1, its day keep (-1: the strict reserve's day figure, or it was another day's)}.
-- Marks ("built", scored +inf) are never counted: ranges end just below +inf.
local t = redis.call("TIME")
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local minuteMs, dayMs, guard = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local window = minuteMs + guard
local day = math.floor(now / dayMs)
local function marked(key) return redis.call("ZSCORE", key, "built") ~= false end
local function oldest(log)
  local first = redis.call("ZRANGEBYSCORE", log, now - window, "(+inf", "WITHSCORES", "LIMIT", 0, 1)
  if first[2] then return tonumber(first[2]) end
  return -1
end
return {
  now,
  redis.call("ZCOUNT", KEYS[1], now, "(+inf"),
  redis.call("ZCOUNT", KEYS[2], now - window, "(+inf"),
  redis.call("ZCOUNT", KEYS[3], now - window, "(+inf"),
  tonumber(redis.call("HGET", KEYS[4], tostring(day)) or "0"),
  tonumber(redis.call("HGET", KEYS[4], "x:" .. day) or "0"),
  oldest(KEYS[2]),
  oldest(KEYS[3]),
  tonumber(redis.call("GET", KEYS[5]) or "0"),
  tonumber(redis.call("HGET", KEYS[6], "minute") or "-1"),
  tonumber(redis.call("HGET", KEYS[6], "minuteAt") or "-1"),
  tonumber(redis.call("HGET", KEYS[6], "day") or "-1"),
  tonumber(redis.call("HGET", KEYS[6], "dayAt") or "-1"),
  (marked(KEYS[1]) and marked(KEYS[2]) and marked(KEYS[3]) and redis.call("HEXISTS", KEYS[4], "built") == 1)
    and 1 or 0,
  tonumber(redis.call("HGET", KEYS[4], "allowance") or "-1"),
  redis.call("HGET", KEYS[4], "keepDay") == tostring(day)
    and tonumber(redis.call("HGET", KEYS[4], "dayKeep") or "-1") or -1,
}
