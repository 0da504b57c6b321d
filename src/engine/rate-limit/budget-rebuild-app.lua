-- Rebuilds an app's minute window from the durable call ledger after Redis lost it, before any call of
-- the app is admitted (budget.lua refuses with "rebuildApp" until the built mark is back).
-- KEYS: 1 the app's minute log, 2 the app's active integrations (budget.lua's KEYS 7 and 12).
-- ARGV: 1 minuteMs, 2 dayMs, 3 guardMs, 4 callTimeoutMs, 5 1 on the last chunk (sets the built mark),
--       then per call of any integration of the app: id, integrationId, startedAt, endedAt (-1: open).
-- Dated as budget-rebuild.lua dates an integration's calls: an ended call at its end; an open call at the
-- latest it can reach the platform (a call timeout after its start), where the grant put it (its release
-- moves it to its end). Merges, never
-- lowers: a call is added by its lease id at most once (the platform's corrections already there stay),
-- so chunks and concurrent rebuilds are harmless. The integrations with a call in the window are active
-- again (by when they started it), so fair shares count them at once. Returns 1, or 0 when the window
-- was marked already (another process rebuilt it first).
if redis.call("ZSCORE", KEYS[1], "built") then return 0 end
local t = redis.call("TIME")
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local minuteMs, dayMs, guard = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local callTimeout = tonumber(ARGV[4])
local window = minuteMs + guard

for i = 6, #ARGV, 4 do
  local id, integration, started, ended = ARGV[i], ARGV[i + 1], tonumber(ARGV[i + 2]), tonumber(ARGV[i + 3])
  local at = ended
  if ended < 0 then
    at = started + callTimeout
  end
  if at >= now - window then
    redis.call("ZADD", KEYS[1], "NX", at, id)
    redis.call("ZADD", KEYS[2], "GT", started, integration)
  end
end

if ARGV[5] == "1" then redis.call("ZADD", KEYS[1], "+inf", "built") end
for i = 1, 2 do redis.call("PEXPIRE", KEYS[i], dayMs * 2) end
return 1
