-- Renews the concurrency leases of calls still in flight (the worker's heartbeat), so a lease's TTL can
-- be short: a dead worker's leases lapse within one TTL, a live worker's never do.
-- KEYS: 1 leases. ARGV: 1 leaseTtlMs, then the lease ids. Only leases still held are renewed.
local t = redis.call("TIME")
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local expires = now + tonumber(ARGV[1])
for i = 2, #ARGV do redis.call("ZADD", KEYS[1], "XX", expires, ARGV[i]) end
return 1
