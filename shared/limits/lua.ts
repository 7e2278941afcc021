// Lua sources of the Redis limiters. Small local functions are composed into whole scripts,
// so the single-purpose scripts and the combined relay admission share one implementation.
// Time is Redis' own clock (TIME), in integer milliseconds: every api process agrees.

const NOW = `
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
`;

/** Sliding log: one sorted-set member per accepted request, scored by its time. */
const LOG = `
local function log_count(key, now, window)
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
  return redis.call('ZCARD', key)
end
local function log_add(key, now, window, member)
  redis.call('ZADD', key, now, member)
  redis.call('PEXPIRE', key, window)
end
local function log_reset(key, now, window)
  local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
  if oldest[2] then return tonumber(oldest[2]) + window - now end
  return 0
end
`;

/**
 * Token window: members '<id>:<tokens>' scored by the time the usage was recorded, plus a
 * running sum in a second key; pruning subtracts what leaves, so a check is O(log n + pruned).
 */
const TOKENS = `
local function token_of(member)
  return tonumber(string.match(member, ':(%d+)$')) or 0
end
local function tokens_used(zkey, skey, now, window)
  local old = redis.call('ZRANGEBYSCORE', zkey, '-inf', now - window)
  if #old > 0 then redis.call('ZREMRANGEBYSCORE', zkey, '-inf', now - window) end
  local sum = redis.call('GET', skey)
  if not sum then
    local used = 0
    for _, member in ipairs(redis.call('ZRANGE', zkey, 0, -1)) do used = used + token_of(member) end
    local pttl = redis.call('PTTL', zkey)
    if used > 0 and pttl > 0 then redis.call('SET', skey, used, 'PX', pttl) end
    return used
  end
  local used = tonumber(sum)
  if #old > 0 then
    local gone = 0
    for i = 1, #old do gone = gone + token_of(old[i]) end
    used = redis.call('DECRBY', skey, gone)
  end
  if used < 0 then used = 0 end
  return used
end
local function tokens_reset(zkey, used, limit, now, window)
  local entries = redis.call('ZRANGE', zkey, 0, -1, 'WITHSCORES')
  if #entries == 0 then return 0 end
  if used < limit then return tonumber(entries[2]) + window - now end
  local left = used
  for i = 1, #entries, 2 do
    left = left - token_of(entries[i])
    if left < limit then return tonumber(entries[i + 1]) + window - now end
  end
  return window
end
local function tokens_add(zkey, skey, now, window, member, tokens)
  -- NX: recording the same request twice (same id and tokens) counts it once
  if redis.call('ZADD', zkey, 'NX', now, member .. ':' .. tokens) == 0 then
    return tonumber(redis.call('GET', skey) or '0')
  end
  local used = redis.call('INCRBY', skey, tokens)
  redis.call('PEXPIRE', zkey, window)
  redis.call('PEXPIRE', skey, window)
  return used
end
`;

/** Concurrency gate: in-flight request ids scored by their lease expiry. */
const GATE = `
local function gate_count(key, now)
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now)
  return redis.call('ZCARD', key)
end
local function gate_add(key, now, ttl, member)
  redis.call('ZADD', key, now + ttl, member)
  if redis.call('PTTL', key) < ttl then redis.call('PEXPIRE', key, ttl) end
end
`;

/** KEYS: log. ARGV: limit, window ms, member. -> {allowed, limit, remaining, reset ms}. */
export const SLIDING_LOG_LUA = `${NOW}${LOG}
local now = now_ms()
local limit, window = tonumber(ARGV[1]), tonumber(ARGV[2])
local count = log_count(KEYS[1], now, window)
local allowed = 0
if count < limit then
  log_add(KEYS[1], now, window, ARGV[3])
  count = count + 1
  allowed = 1
end
return {allowed, limit, limit - count, log_reset(KEYS[1], now, window)}
`;

/** KEYS: zset, sum. ARGV: limit, window ms. -> {allowed, limit, remaining, reset ms, used}. */
export const TOKENS_CHECK_LUA = `${NOW}${TOKENS}
local now = now_ms()
local limit, window = tonumber(ARGV[1]), tonumber(ARGV[2])
local used = tokens_used(KEYS[1], KEYS[2], now, window)
local allowed = 0
if used < limit then allowed = 1 end
return {allowed, limit, math.max(0, limit - used), tokens_reset(KEYS[1], used, limit, now, window), used}
`;

/** KEYS: zset, sum. ARGV: window ms, member, tokens. -> tokens used in the window now. */
export const TOKENS_RECORD_LUA = `${NOW}${TOKENS}
local now = now_ms()
local window = tonumber(ARGV[1])
tokens_used(KEYS[1], KEYS[2], now, window)
return tokens_add(KEYS[1], KEYS[2], now, window, ARGV[2], tonumber(ARGV[3]))
`;

/** KEYS: gate. ARGV: limit, lease ttl ms, member. -> {allowed, limit, remaining, in flight}. */
export const GATE_ACQUIRE_LUA = `${NOW}${GATE}
local now = now_ms()
local limit, ttl = tonumber(ARGV[1]), tonumber(ARGV[2])
local count = gate_count(KEYS[1], now)
local allowed = 0
if count < limit then
  gate_add(KEYS[1], now, ttl, ARGV[3])
  count = count + 1
  allowed = 1
end
return {allowed, limit, math.max(0, limit - count), count}
`;

/** KEYS: one gate per lease. ARGV: ttl ms, then one member per key. Extends live leases only. */
export const GATE_RENEW_LUA = `${NOW}${GATE}
local now = now_ms()
local ttl = tonumber(ARGV[1])
local renewed = 0
for i = 1, #KEYS do
  if redis.call('ZSCORE', KEYS[i], ARGV[i + 1]) then
    redis.call('ZADD', KEYS[i], now + ttl, ARGV[i + 1])
    if redis.call('PTTL', KEYS[i]) < ttl then redis.call('PEXPIRE', KEYS[i], ttl) end
    renewed = renewed + 1
  end
end
return renewed
`;

/**
 * The relay admission, all limits in one atomic step; nothing is taken unless every limit
 * passes. KEYS: request log, token zset, token sum, gate. ARGV: rpm, rpm window, tpm, tpm
 * window, concurrency, lease ttl, member (0 = unlimited).
 * -> {verdict (0 ok, 1 requests, 2 tokens, 3 concurrency), rpm, rpm remaining, rpm reset,
 *     tpm, tpm remaining, tpm reset}.
 */
export const RELAY_ADMIT_LUA = `${NOW}${LOG}${TOKENS}${GATE}
local now = now_ms()
local rpm, rpm_window = tonumber(ARGV[1]), tonumber(ARGV[2])
local tpm, tpm_window = tonumber(ARGV[3]), tonumber(ARGV[4])
local conc, ttl, member = tonumber(ARGV[5]), tonumber(ARGV[6]), ARGV[7]
local verdict = 0
local requests, tokens, flying = 0, 0, 0
if rpm > 0 then
  requests = log_count(KEYS[1], now, rpm_window)
  if requests >= rpm then verdict = 1 end
end
if tpm > 0 then
  tokens = tokens_used(KEYS[2], KEYS[3], now, tpm_window)
  if verdict == 0 and tokens >= tpm then verdict = 2 end
end
if conc > 0 then
  flying = gate_count(KEYS[4], now)
  if verdict == 0 and flying >= conc then verdict = 3 end
end
if verdict == 0 then
  if rpm > 0 then
    log_add(KEYS[1], now, rpm_window, member)
    requests = requests + 1
  end
  if conc > 0 then gate_add(KEYS[4], now, ttl, member) end
end
local rpm_reset, tpm_reset = 0, 0
if rpm > 0 then rpm_reset = log_reset(KEYS[1], now, rpm_window) end
if tpm > 0 then tpm_reset = tokens_reset(KEYS[2], tokens, tpm, now, tpm_window) end
return {verdict, rpm, math.max(0, rpm - requests), rpm_reset, tpm, math.max(0, tpm - tokens), tpm_reset}
`;

/**
 * Bad credentials per client: log the failure (keeping at most max + 1 entries) and, past
 * max in the window, set the block key. KEYS: log, block. ARGV: max, window ms, block ms,
 * member. -> {failures in window, block ms (0 = not blocked)}.
 */
export const FAILURE_BLOCK_LUA = `${NOW}${LOG}
local now = now_ms()
local max, window, block = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
log_count(KEYS[1], now, window)
log_add(KEYS[1], now, window, ARGV[4])
redis.call('ZREMRANGEBYRANK', KEYS[1], 0, -(max + 2))
local count = redis.call('ZCARD', KEYS[1])
if count > max then
  redis.call('SET', KEYS[2], count, 'PX', block)
  return {count, block}
end
return {count, 0}
`;
