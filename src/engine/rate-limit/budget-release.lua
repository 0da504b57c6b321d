-- Ends a call: frees its concurrency lease, moves its entries in the minute logs to now, and applies
-- the platform's remaining figures, if it sent any, keeping them as the platform said them too.
-- KEYS as in budget.lua (1-5), then 6 the platform's figures (HASH minute, day, at), 7 the app's minute
-- log (budget.lua's KEYS[7]; untouched when the platform has no app cap).
-- Returns the time the call ended (Redis ms), for the call ledger.
-- ARGV: 1 leaseId, 2 perMinute, 3 perDay, 4 minRemaining (-1: not given), 5 dayRemaining (-1),
--       6 minuteMs, 7 dayMs, 8 guardMs, 9 the app's calls a minute (0: no app cap),
--       10 appRemaining (X-AppMinLimit-Remaining; -1: not given), 11 1 when windows are rebuilt from the
--       call ledger (budget.lua's ARGV 14)
--
-- Why "now": the platform counted the call when it arrived, somewhere between our charge and our receipt
-- of the answer; dating it at the receipt means the next call is never charged before the platform's
-- window has let go of this one, however long the call spent on the way.
--
-- The remaining figures correct the counts downward only (another client may share the platform's
-- budget): they never give budget back. One answer adds at most MAX_CORRECTION entries to a log: where
-- an override lifts a cap far above the platform's own (tests, benchmarks), "cap - remaining" would be a
-- million entries, a script that holds Redis for seconds; a real shortfall is made up over a few answers.
local t = redis.call("TIME")
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local leaseId = ARGV[1]
local perMinute, perDay = tonumber(ARGV[2]), tonumber(ARGV[3])
local minRemaining, dayRemaining = tonumber(ARGV[4]), tonumber(ARGV[5])
local minuteMs, dayMs, guard = tonumber(ARGV[6]), tonumber(ARGV[7]), tonumber(ARGV[8])
local MAX_CORRECTION = 1000

redis.call("ZREM", KEYS[1], leaseId)
redis.call("ZADD", KEYS[2], "XX", now, leaseId)
redis.call("ZADD", KEYS[3], "XX", now, leaseId)
local appLimit, appRemaining = tonumber(ARGV[9]), tonumber(ARGV[10])
local appMarked = redis.call("ZSCORE", KEYS[7], "built") and 1 or 0
if appLimit > 0 then
  if appMarked == 1 then
    redis.call("ZADD", KEYS[7], "XX", now, leaseId)
  else
    -- The app's window was lost and is not rebuilt yet (or, without a ledger, never is): the call goes in
    -- at its end, which the rebuild keeps (it merges by lease id), where it would date the call at its
    -- start while the ledger has not written its end yet.
    redis.call("ZADD", KEYS[7], now, leaseId)
    redis.call("PEXPIRE", KEYS[7], dayMs * 2)
  end
end

if minRemaining >= 0 then
  redis.call("ZREMRANGEBYSCORE", KEYS[2], "-inf", now - minuteMs - guard)
  local mark = redis.call("ZSCORE", KEYS[2], "built") and 1 or 0
  local missing = (perMinute - minRemaining) - (redis.call("ZCARD", KEYS[2]) - mark)
  for i = 1, math.min(missing, MAX_CORRECTION) do redis.call("ZADD", KEYS[2], now, "platform:" .. now .. ":" .. i) end
end
-- The app's window, the same way: other clients of the app (another syncline, a script with the same
-- app's credentials) use it too. Not while it waits for its rebuild from the ledger: the rebuild brings
-- back the calls the platform's figure counts, and the two together would count them twice.
if appLimit > 0 and appRemaining >= 0 and (appMarked == 1 or ARGV[11] ~= "1") then
  redis.call("ZREMRANGEBYSCORE", KEYS[7], "-inf", now - minuteMs - guard)
  local missing = (appLimit - appRemaining) - (redis.call("ZCARD", KEYS[7]) - appMarked)
  for i = 1, math.min(missing, MAX_CORRECTION) do
    redis.call("ZADD", KEYS[7], now, "platform:" .. leaseId .. ":" .. i)
  end
end
if dayRemaining >= 0 then
  local day = tostring(math.floor(now / dayMs))
  local used = tonumber(redis.call("HGET", KEYS[4], day) or "0")
  if perDay - dayRemaining > used then redis.call("HSET", KEYS[4], day, perDay - dayRemaining) end
end
if minRemaining >= 0 or dayRemaining >= 0 then
  if minRemaining >= 0 then redis.call("HSET", KEYS[6], "minute", minRemaining, "minuteAt", now) end
  if dayRemaining >= 0 then redis.call("HSET", KEYS[6], "day", dayRemaining, "dayAt", now) end
  redis.call("PEXPIRE", KEYS[6], dayMs * 2)
end
return now
