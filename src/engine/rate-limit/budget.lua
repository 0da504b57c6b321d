-- Checks and charges one provider call against an integration's caps, atomically.
-- KEYS: 1 leases (ZSET leaseId -> expiry ms), 2 minute log (ZSET), 3 export minute log (ZSET),
--       4 day counters (HASH dayIndex -> calls, "x:"..dayIndex -> export calls), 5 blocked-until (STRING ms),
--       6 interactive waiters (ZSET waiterId -> expiry ms),
--       7-12 the app's (redis/keys.ts appBudget): minute log, blocked-until, waiting, starving, expiry, active,
--       13 the app's pace (STRING: when the paced rate's next unit is due, ms)
-- Rebuilt from the call ledger, each of keys 1-4 and the app's minute log (7) carries a mark ("built": a
-- member scored +inf in the ZSETs, never trimmed and never counted; a field of the HASH). A key without it
-- was lost (a flush, a failover, an eviction), or never built: nothing is admitted until it is rebuilt.
-- ARGV: 1 concurrent, 2 perMinute, 3 perDay, 4 exportPerMinute (0: not an export call),
--       5 exportPerDay, 6 minuteMs, 7 dayMs, 8 leaseTtlMs, 9 leaseId, 10 guardMs,
--       11 waiter id ("" unless a person waits on this call), 12 waiter TTL ms,
--       13 the lane's rank (engine/lanes.ts: 0 is the highest lane, INTERACTIVE),
--       14 1 when the windows must have been built from the ledger before anything is admitted,
--       15 the app's calls a minute (0: the platform has no app cap), 16 the units of the app's minute this
--       lane leaves to the lanes above it, 17 the integration's id, 18 real ms a waiting integration's
--       place outlives the wait it was told
-- ARGV 19: an ADAPTIVE export's day keep (-1: the strict reserve): past exportPerDay, an export is
--   admitted only while that many day calls stay free after it, for the rest of the day's scheduled pulls
--   (ARGV 4 then carries the minute figure the schedule allows: engine/rate-limit/export-allowance.ts).
-- ARGV 20: how long after its grant a call in flight may still reach the platform (the call timeout; 0:
--   dated at its grant, as for callers that release at once).
-- ARGV 21: ms between two units of the app's paced rate (0: not paced), 22: how far (ms) the pace may have
--   fallen behind and catch up at once.
-- A caller of the top lane (a user waiting on a live read) that is denied registers as a waiter; while any
-- waiter is registered, the lower lanes are denied ("interactive"), so the next free unit is its.
-- Returns {1, "ok", 0, minuteUsed, dayUsed, now} or {0, reason, waitMs, minuteUsed, dayUsed, now};
-- reason "rebuild": Redis lost a window (its mark is gone), rebuild them first (budget-rebuild.lua);
-- "rebuildApp": the app's minute log, for every integration of the app (budget-rebuild-app.lua).
--
-- The app-wide cap (one window for every integration of the app, e.g. Xero's 10,000 a minute) is checked
-- after the integration's own caps, in the same step, and shared by priority and fairness:
-- - lanes rank across the fleet: an integration denied the app's budget waits in "waiting" by its lane;
--   while one of a higher lane waits, lower lanes of every integration are denied ("appLane"), and each
--   lane leaves the lanes above it a few units of the app's minute (ARGV 16), so a pull that arrives
--   usually finds room at once;
-- - fair share: share = the app's minute / integrations that asked for it within the window. An
--   integration with fewer calls than its share in the window, denied, waits in "starving" too; while
--   one of its lane or above starves, integrations at or over their share are denied ("appShare"). With
--   nobody starving, anyone may use what is free (max-min: unused shares go to whoever has work).
-- - pace: exports are admitted no faster than an even spread of what the app's minute leaves them (one unit
--   every ARGV 21 ms). Admitted as fast as units free, a backlogged fleet takes the whole window in a burst,
--   and the window then frees in bursts a minute apart: a pull arriving between two waits for the next
--   one. Spread evenly, a unit leaves the window every interval, and the line's head takes it. Every
--   lane's call counts against the pace; only exports wait for it.
-- - waits: an integration refused for its share comes back when its own oldest call leaves the window
--   (which frees the unit it then takes); one refused in line, when the line has moved up to its place:
--   one unit per pace interval, and (the window full) no sooner than the call at its place leaves. So the
--   fleet does not wake all at once for each freed unit, and a waiting pull comes back for the very next one.
-- Time comes from Redis, so every worker process agrees on it.
local t = redis.call("TIME")
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local concurrent, perMinute, perDay = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local exportPerMinute, exportPerDay = tonumber(ARGV[4]), tonumber(ARGV[5])
local minuteMs, dayMs, leaseTtl = tonumber(ARGV[6]), tonumber(ARGV[7]), tonumber(ARGV[8])
local leaseId, guard = ARGV[9], tonumber(ARGV[10])
local waiterId, waiterTtl = ARGV[11], tonumber(ARGV[12])
local isExport = exportPerMinute > 0
local rank = tonumber(ARGV[13])
local isInteractive = rank == 0 and waiterId ~= ""
local appLimit = tonumber(ARGV[15])
local pace, catchUp = tonumber(ARGV[21] or "0"), tonumber(ARGV[22] or "0")
local function marked(key) return redis.call("ZSCORE", key, "built") ~= false end
if tonumber(ARGV[14]) == 1 then
  if not (marked(KEYS[1]) and marked(KEYS[2]) and marked(KEYS[3])
      and redis.call("HEXISTS", KEYS[4], "built") == 1) then
    return {0, "rebuild", 0, 0, 0, now}
  end
  -- Without it, every worker would admit a whole app minute again while the platform still counts the last.
  if appLimit > 0 and not marked(KEYS[7]) then return {0, "rebuildApp", 0, 0, 0, now} end
end
-- Calls in a log, not counting its mark.
local function count(key) return redis.call("ZCARD", key) - (marked(key) and 1 or 0) end
-- An optional guard lengthens the window beyond the platform's minute (see CallBudget.release for why
-- it is not needed to stay exact).
local window = minuteMs + guard

redis.call("ZREMRANGEBYSCORE", KEYS[1], "-inf", now)
redis.call("ZREMRANGEBYSCORE", KEYS[2], "-inf", now - window)
redis.call("ZREMRANGEBYSCORE", KEYS[3], "-inf", now - window)
redis.call("ZREMRANGEBYSCORE", KEYS[6], "-inf", now)

local day = math.floor(now / dayMs)
-- The allowance exports ask under now (ARGV 4 and 19), for the budget's readers (budget-read.lua): under
-- ADAPTIVE it moves with the pull schedule, which only the work sources know. The day keep is the day's.
if isExport then
  redis.call("HSET", KEYS[4], "allowance", exportPerMinute, "dayKeep", ARGV[19] or "-1", "keepDay", day)
end
local untilNextDay = (day + 1) * dayMs - now
local minuteUsed = count(KEYS[2])
local dayUsed = tonumber(redis.call("HGET", KEYS[4], tostring(day)) or "0")

local function deny(reason, wait)
  if isInteractive then redis.call("ZADD", KEYS[6], now + waiterTtl, waiterId) end
  return {0, reason, math.max(1, math.ceil(wait)), minuteUsed, dayUsed, now}
end

-- When a call dated at `at` leaves the window; a call still in flight (dated ahead) is taken to end now,
-- the soonest it can (its release dates it at its end).
local function leaves(at) return math.min(tonumber(at), now) + window - now end
local function untilOldestLeaves(log)
  local oldest = redis.call("ZRANGE", log, 0, 0, "WITHSCORES")
  return leaves(oldest[2])
end

local blocked = tonumber(redis.call("GET", KEYS[5]) or "0")
if blocked > now then return deny("blocked", blocked - now) end
if rank > 0 and redis.call("ZCARD", KEYS[6]) > 0 then
  -- Look again soon: the waiter takes the next free unit, then the lanes below go on.
  return {0, "interactive", math.max(1, math.min(50, math.ceil(minuteMs / 60))), minuteUsed, dayUsed, now}
end

if count(KEYS[1]) >= concurrent then
  local first = redis.call("ZRANGE", KEYS[1], 0, 0, "WITHSCORES")
  return deny("concurrent", tonumber(first[2]) - now)
end
if dayUsed >= perDay then return deny("day", untilNextDay) end
if minuteUsed >= perMinute then return deny("minute", untilOldestLeaves(KEYS[2])) end
if isExport then
  local exportDay = tonumber(redis.call("HGET", KEYS[4], "x:" .. day) or "0")
  local dayKeep = tonumber(ARGV[19] or "-1")
  local spareDay = dayKeep >= 0 and dayUsed + 1 + dayKeep <= perDay
  if exportDay >= exportPerDay and not spareDay then return deny("exportDay", untilNextDay) end
  if count(KEYS[3]) >= exportPerMinute then return deny("exportMinute", untilOldestLeaves(KEYS[3])) end
end

-- When the app's paced rate has its next unit (read below, moved on by the grant).
local paceAt = now
if appLimit > 0 then
  local keep, self, slack = tonumber(ARGV[16]), ARGV[17], tonumber(ARGV[18])
  -- Places in line sort by lane, then by when the integration started waiting.
  local RANK = 1e13
  local since = rank * RANK + now
  redis.call("ZREMRANGEBYSCORE", KEYS[7], "-inf", now - window)
  redis.call("ZREMRANGEBYSCORE", KEYS[12], "-inf", now - window)
  local lapsed = redis.call("ZRANGEBYSCORE", KEYS[11], "-inf", now, "LIMIT", 0, 100)
  if #lapsed > 0 then
    for i = 9, 11 do redis.call("ZREM", KEYS[i], unpack(lapsed)) end
  end
  local appBlocked = tonumber(redis.call("GET", KEYS[8]) or "0")
  if appBlocked > now then return deny("appBlocked", appBlocked - now) end
  redis.call("ZADD", KEYS[12], now, self)
  local share = math.max(1, math.floor(appLimit / redis.call("ZCARD", KEYS[12])))
  -- Every call of the integration is a call of its app: its minute log is its part of the app's window.
  -- A call above the EXPORT lane is judged on the integration's calls above it only: its exports already
  -- yield to it by lane, and counted, a backlog's exports would hold back its own pull for up to a minute
  -- while another integration's pull waited.
  local own = isExport and minuteUsed or (minuteUsed - count(KEYS[3]))
  local underShare = own < share
  local appUsed = count(KEYS[7])
  local room = appUsed < appLimit - keep
  -- When the paced rate's next unit is due (no earlier than it may catch up to).
  if pace > 0 then paceAt = math.max(tonumber(redis.call("GET", KEYS[13]) or "0"), now - catchUp) end
  -- Over its share and refused for it, an integration comes back when its own oldest call leaves the
  -- window (then it is under its share again); otherwise when the call at its place in line leaves: in
  -- the line of those under their share if it is, else in the whole line (lane, then arrival).
  local function appWait(overShare)
    if overShare then return untilOldestLeaves(KEYS[2]) end
    local place = redis.call("ZRANK", underShare and KEYS[10] or KEYS[9], self) or 0
    local byPace = math.max(0, paceAt - now) + place * pace
    if room or appUsed == 0 then return byPace end
    local nth = redis.call("ZRANGE", KEYS[7], place % appUsed, place % appUsed, "WITHSCORES")
    return math.max(byPace, leaves(nth[2]) + math.floor(place / appUsed) * window)
  end
  -- Takes (or keeps) the integration's place in line, then says how long to wait: `short`, or appWait.
  local function appDeny(reason, short)
    redis.call("ZADD", KEYS[9], "LT", since, self)
    if underShare then redis.call("ZADD", KEYS[10], "LT", since, self) end
    local wait = math.max(1, math.ceil(short or appWait(reason == "appShare")))
    redis.call("ZADD", KEYS[11], now + wait + slack, self)
    for i = 9, 12 do redis.call("PEXPIRE", KEYS[i], dayMs * 2) end
    return deny(reason, wait)
  end
  local function another(key, below)
    for _, id in ipairs(redis.call("ZRANGEBYSCORE", key, "-inf", "(" .. below, "LIMIT", 0, 2)) do
      if id ~= self then return true end
    end
    return false
  end
  if another(KEYS[9], rank * RANK) then
    -- A higher lane takes the next free unit; with room now and no pace to go by, it is back in a moment.
    return appDeny("appLane", room and pace == 0 and math.min(50, math.ceil(minuteMs / 60)) or nil)
  end
  if not underShare and another(KEYS[10], (rank + 1) * RANK) then return appDeny("appShare") end
  if not room then return appDeny("appMinute") end
  if isExport and paceAt > now then return appDeny("appPace") end
  for i = 9, 11 do redis.call("ZREM", KEYS[i], self) end
end

if isInteractive then redis.call("ZREM", KEYS[6], waiterId) end
-- The lease id names the call in the minute logs too, so `release` can move it to when the call ended.
-- Until then it is dated at the latest it can reach the platform (ARGV 20: the call timeout), not at
-- its grant: the platform counts a call when it arrives, and a call slow on its way (a busy machine, a
-- slow network) dated at its grant would leave our window before it left the platform's, letting a
-- call more in than the platform allows.
local member = leaseId
local inFlightAt = now + tonumber(ARGV[20] or "0")
redis.call("ZADD", KEYS[1], now + leaseTtl, leaseId)
redis.call("ZADD", KEYS[2], inFlightAt, member)
redis.call("HINCRBY", KEYS[4], tostring(day), 1)
if isExport then
  redis.call("ZADD", KEYS[3], inFlightAt, member)
  redis.call("HINCRBY", KEYS[4], "x:" .. day, 1)
end
if appLimit > 0 then
  redis.call("ZADD", KEYS[7], inFlightAt, member)
  redis.call("PEXPIRE", KEYS[7], dayMs * 2)
  if pace > 0 then
    redis.call("SET", KEYS[13], string.format("%.3f", paceAt + pace), "PX", math.ceil(window * 2))
  end
end
redis.call("HDEL", KEYS[4], tostring(day - 1), "x:" .. (day - 1))
for i = 1, 4 do redis.call("PEXPIRE", KEYS[i], dayMs * 2) end
if isInteractive then redis.call("PEXPIRE", KEYS[6], waiterTtl * 2) end
return {1, "ok", 0, minuteUsed + 1, dayUsed + 1, now}
