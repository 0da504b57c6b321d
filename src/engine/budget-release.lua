-- Ends a call: frees its concurrency lease and moves its entries in the minute logs to now.
-- The platform counted the call when it arrived, somewhere between our charge and our receipt of the
-- answer; dating it at the receipt means the next call is never charged before the platform's window
-- has let go of this one, however long the call spent on the way. KEYS as in budget.lua; ARGV: 1 leaseId
local t = redis.call("TIME")
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call("ZREM", KEYS[1], ARGV[1])
redis.call("ZADD", KEYS[2], "XX", now, ARGV[1])
redis.call("ZADD", KEYS[3], "XX", now, ARGV[1])
return 1
