-- A granted call's row is in the call ledger now, and the call is about to go out. Had Redis lost a window
-- between the grant and the row's commit, and a rebuild read the ledger before the commit, the call would
-- be in no window while the platform counts it: it is put back (by its lease id, dated as the grant dated
-- it) wherever it is missing. A window not rebuilt yet takes it too, harmlessly (the rebuild merges by
-- lease id).
-- KEYS: 1 leases, 2 minute log, 3 export minute log (budget.lua's 1-3), 4 the app's minute log (7).
-- ARGV: 1 leaseId, 2 its date in the minute logs (Redis ms: its grant plus the call timeout),
--       3 leaseTtlMs, 4 1: an export call, 5 1: the platform has an app cap, 6 dayMs.
local id, at, leaseTtl, dayMs = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[6])
local restored = 0
if not redis.call("ZSCORE", KEYS[2], id) then
  local t = redis.call("TIME")
  local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  redis.call("ZADD", KEYS[1], "NX", now + leaseTtl, id)
  redis.call("ZADD", KEYS[2], "NX", at, id)
  if ARGV[4] == "1" then redis.call("ZADD", KEYS[3], "NX", at, id) end
  for i = 1, 3 do redis.call("PEXPIRE", KEYS[i], dayMs * 2) end
  restored = 1
end
if ARGV[5] == "1" and not redis.call("ZSCORE", KEYS[4], id) then
  redis.call("ZADD", KEYS[4], "NX", at, id)
  redis.call("PEXPIRE", KEYS[4], dayMs * 2)
  restored = 1
end
return restored
