/**
 * The Lua scripts of the Redis call store. Each runs atomically in Redis: a compare-and-set
 * and the schedule change that goes with it can never be seen half done, by any instance.
 *
 * Records are stored as JSON strings that begin with `{"version":N,` (the store writes them
 * so), which lets a script read the version with one pattern match instead of decoding the
 * snapshot.
 * @module
 */
import { createHash } from 'node:crypto';

/** A script and its SHA1, for EVALSHA with an EVAL fallback. */
export interface LuaScript {
  readonly name: string;
  readonly source: string;
  readonly sha: string;
}

function script(name: string, source: string): LuaScript {
  return { name, source, sha: createHash('sha1').update(source).digest('hex') };
}

const APPLY_DUE = `
local function apply_due(due_key, kind, at, call_id)
  if kind == 'set' then return redis.call('ZADD', due_key, at, call_id)
  elseif kind == 'keep' then return redis.call('ZADD', due_key, 'NX', at, call_id)
  elseif kind == 'clear' then return redis.call('ZREM', due_key, call_id) end
  return 0
end
`;

/**
 * KEYS: record, due. ARGV: expectedVersion, json, ttlMs ('0' = keep), dueKind
 * ('set' | 'keep' | 'clear' | 'none'), dueAt, callId.
 * Returns `{1}` when saved, `{0, current-or-nil}` on a version conflict.
 */
export const COMMIT = script(
  'commit',
  `${APPLY_DUE}
local current = redis.call('GET', KEYS[1])
local version = 0
if current then
  version = tonumber(string.match(current, '^{"version":(%d+),'))
  if version == nil then
    return redis.error_reply('graph-call-machine: the value at ' .. KEYS[1] .. ' is not a call record')
  end
end
if version ~= tonumber(ARGV[1]) then return {0, current} end
if ARGV[3] ~= '0' then
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
else
  redis.call('SET', KEYS[1], ARGV[2])
end
apply_due(KEYS[2], ARGV[4], ARGV[5], ARGV[6])
return {1}
`,
);

/**
 * KEYS: due. ARGV: now, limit, leaseUntil.
 * Returns the claimed call ids; each one's due time is now `leaseUntil`.
 */
export const CLAIM_DUE = script(
  'claimDue',
  `
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
for _, id in ipairs(ids) do redis.call('ZADD', KEYS[1], ARGV[3], id) end
return ids
`,
);

/**
 * KEYS: due. ARGV: callId, dueKind, dueAt, ifDueAt ('' = unconditionally).
 * Returns 1 when the due time was changed as asked, 0 when the condition did not hold.
 */
export const RESCHEDULE = script(
  'reschedule',
  `${APPLY_DUE}
if ARGV[4] ~= '' then
  local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
  if (not score) or tonumber(score) ~= tonumber(ARGV[4]) then return 0 end
end
if ARGV[2] == 'keep' then return redis.call('ZADD', KEYS[1], 'NX', ARGV[3], ARGV[1]) end
apply_due(KEYS[1], ARGV[2], ARGV[3], ARGV[1])
return 1
`,
);

/** KEYS: record, due. ARGV: callId. Deletes the record and its due time together. */
export const DELETE = script(
  'delete',
  `
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[1])
return 1
`,
);
