-- Rebuilds an integration's windows from the durable call ledger after Redis lost them, before any
-- call is admitted (budget.lua refuses with "rebuild" until the built mark is back).
-- KEYS: 1 leases, 2 minute log, 3 export minute log, 4 day counters (as in budget.lua).
-- ARGV: 1 minuteMs, 2 dayMs, 3 guardMs, 4 leaseTtlMs, 5 callTimeoutMs, 6 the day index the counts are
--       of, 7 calls that day, 8 exports that day, 9 1 on the last chunk (sets the built mark), then per
--       call: id, startedAt, endedAt (-1: open), export (1/0).
-- Merges, never lowers: counts already there (the platform's corrections) stay if higher, and a call
-- is added by its lease id at most once, so chunks and concurrent rebuilds are harmless.
-- An open call is dated at the latest it can reach the platform (a call timeout after its start), as
-- budget.lua dates a granted call until it ends. One its worker may still be making (started less than a
-- call timeout ago) gets a lease again (renewed by its worker if alive, else gone after leaseTtlMs). The last chunk marks every key as built (budget.lua). Returns 1, or 0 when they
-- were all marked already (another process rebuilt them first).
local function marked(key) return redis.call("ZSCORE", key, "built") ~= false end
if marked(KEYS[1]) and marked(KEYS[2]) and marked(KEYS[3]) and redis.call("HEXISTS", KEYS[4], "built") == 1 then
  return 0
end
local t = redis.call("TIME")
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local minuteMs, dayMs, guard = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local leaseTtl, callTimeout = tonumber(ARGV[4]), tonumber(ARGV[5])
local countedDay, calls, exports = tonumber(ARGV[6]), tonumber(ARGV[7]), tonumber(ARGV[8])
local window = minuteMs + guard
local day = math.floor(now / dayMs)

if day == countedDay then
  local function raise(field, value)
    if value > tonumber(redis.call("HGET", KEYS[4], field) or "0") then redis.call("HSET", KEYS[4], field, value) end
  end
  raise(tostring(day), calls)
  raise("x:" .. day, exports)
end

for i = 10, #ARGV, 4 do
  local id, started, ended, isExport = ARGV[i], tonumber(ARGV[i + 1]), tonumber(ARGV[i + 2]), ARGV[i + 3] == "1"
  local at = ended
  if ended < 0 then
    -- Dated at the latest it can reach the platform, as budget.lua dates a call in flight.
    at = started + callTimeout
    if at > now then redis.call("ZADD", KEYS[1], "NX", now + leaseTtl, id) end
  end
  if at >= now - window then
    redis.call("ZADD", KEYS[2], "NX", at, id)
    if isExport then redis.call("ZADD", KEYS[3], "NX", at, id) end
  end
end

if ARGV[9] == "1" then
  for i = 1, 3 do redis.call("ZADD", KEYS[i], "+inf", "built") end
  redis.call("HSET", KEYS[4], "built", 1)
end
for i = 1, 4 do redis.call("PEXPIRE", KEYS[i], dayMs * 2) end
return 1
