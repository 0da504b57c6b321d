-- Reads an app's window without charging it.
-- KEYS: the app's 1 minute log, 2 blocked-until, 3 waiting, 4 starving, 5 expiry, 6 active (budget.lua's 7-12).
-- ARGV: 1 minuteMs, 2 guardMs. Returns {now, calls in the window, the oldest of them or -1, integrations
-- that asked within it, integrations waiting, those of them under their fair share, blockedUntil or 0,
-- 1 when the window carries its rebuilt mark (budget.lua), else 0}. The mark is never counted.
-- A waiting integration whose place lapsed (it no longer came back) is not counted, though budget.lua
-- has not swept it out yet (it does on the app's next call).
local t = redis.call("TIME")
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local from = "(" .. (now - tonumber(ARGV[1]) - tonumber(ARGV[2]))
local first = redis.call("ZRANGEBYSCORE", KEYS[1], from, "(+inf", "WITHSCORES", "LIMIT", 0, 1)
local starving = redis.call("ZCARD", KEYS[4])
local lapsed = redis.call("ZRANGEBYSCORE", KEYS[5], "-inf", now, "LIMIT", 0, 1000)
if #lapsed > 0 and starving > 0 then
  for _, score in ipairs(redis.call("ZMSCORE", KEYS[4], unpack(lapsed))) do
    if score then starving = starving - 1 end
  end
end
return {
  now,
  redis.call("ZCOUNT", KEYS[1], from, "(+inf"),
  first[2] and tonumber(first[2]) or -1,
  redis.call("ZCOUNT", KEYS[6], from, "+inf"),
  redis.call("ZCOUNT", KEYS[5], "(" .. now, "+inf"),
  math.max(0, starving),
  tonumber(redis.call("GET", KEYS[2]) or "0"),
  redis.call("ZSCORE", KEYS[1], "built") and 1 or 0,
}
