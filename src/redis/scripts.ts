/**
 * The Lua scripts of the Redis call store. Each runs atomically in Redis: a compare-and-set
 * and the due-time and live-index changes that go with it can never be seen half done, by any
 * instance.
 *
 * Atomic is not transactional, though: a command that fails in the middle of a script leaves
 * the writes before it in place. So every script first checks everything that could make a
 * write fail (the type of each key it will write, the stored version) and only then writes.
 * A check that fails answers an error reply beginning with {@link REFUSED}, which means
 * nothing was written.
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

/** The first word of every error reply a script gives before it has written anything. */
export const REFUSED = 'GCMREFUSED';

function script(name: string, source: string): LuaScript {
  return { name, source, sha: createHash('sha1').update(source).digest('hex') };
}

/**
 * `wrong_types({key, 'string', key2, 'zset', …})`: nil when each key holds the named type or
 * nothing, else the refusal naming every key that does not. TYPE answers a status reply, which
 * reaches Lua as a table `{ok = 'string'}`.
 */
const WRONG_TYPES = `
local type_names = {string = 'a string', zset = 'a sorted set', hash = 'a hash',
  list = 'a list', set = 'a set', stream = 'a stream'}
local function wrong_types(expected)
  local wrong = {}
  for i = 1, #expected, 2 do
    local key, want = expected[i], expected[i + 1]
    local found = redis.call('TYPE', key)
    if type(found) == 'table' then found = found.ok end
    if found ~= 'none' and found ~= want then
      wrong[#wrong + 1] = key .. ' holds ' .. (type_names[found] or found) ..
        ' where the store keeps ' .. type_names[want]
    end
  end
  if #wrong == 0 then return nil end
  return '${REFUSED} ' .. table.concat(wrong, '; ') .. '; nothing was written'
end
`;

const APPLY_DUE = `
local function apply_due(due_key, kind, at, call_id)
  if kind == 'set' then return redis.call('ZADD', due_key, at, call_id)
  elseif kind == 'keep' then return redis.call('ZADD', due_key, 'NX', at, call_id)
  else return redis.call('ZREM', due_key, call_id) end
end
`;

/**
 * KEYS: record, due, live. ARGV: expectedVersion, json, ttlMs ('0' = keep), dueKind
 * ('set' | 'keep' | 'clear'), dueAt, callId, ended ('1' | '0'), savedAt.
 * Returns `{1}` when committed, `{0, current-or-nil}` on a version conflict (nothing written).
 */
export const COMMIT = script(
  'commit',
  `${WRONG_TYPES}${APPLY_DUE}
local refused = wrong_types({KEYS[1], 'string', KEYS[2], 'zset', KEYS[3], 'zset'})
if refused then return redis.error_reply(refused) end
local current = redis.call('GET', KEYS[1])
local version = 0
if current then
  version = tonumber(string.match(current, '^{"version":(%d+),'))
  if version == nil then
    return redis.error_reply('${REFUSED} the value at ' .. KEYS[1] ..
      ' is not a call record; nothing was written')
  end
end
if version ~= tonumber(ARGV[1]) then return {0, current} end
if ARGV[3] ~= '0' then
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
else
  redis.call('SET', KEYS[1], ARGV[2])
end
apply_due(KEYS[2], ARGV[4], ARGV[5], ARGV[6])
if ARGV[7] == '1' then
  redis.call('ZREM', KEYS[3], ARGV[6])
else
  redis.call('ZADD', KEYS[3], ARGV[8], ARGV[6])
end
return {1}
`,
);

/**
 * KEYS: due. ARGV: now, limit, leaseUntil.
 * Returns the claimed call ids; each one's due time is now `leaseUntil`.
 */
export const CLAIM_DUE = script(
  'claimDue',
  `${WRONG_TYPES}
local refused = wrong_types({KEYS[1], 'zset'})
if refused then return redis.error_reply(refused) end
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
for _, id in ipairs(ids) do redis.call('ZADD', KEYS[1], ARGV[3], id) end
return ids
`,
);

/**
 * KEYS: due. ARGV: callId, dueKind, dueAt, ifDueAt ('' = unconditionally).
 * Returns 1 when the due time was changed as asked, 0 when the condition did not hold (or,
 * for `keep`, when the call already had a due time).
 */
export const RESCHEDULE = script(
  'reschedule',
  `${WRONG_TYPES}${APPLY_DUE}
local refused = wrong_types({KEYS[1], 'zset'})
if refused then return redis.error_reply(refused) end
if ARGV[4] ~= '' then
  local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
  if (not score) or tonumber(score) ~= tonumber(ARGV[4]) then return 0 end
end
if ARGV[2] == 'keep' then return apply_due(KEYS[1], 'keep', ARGV[3], ARGV[1]) end
apply_due(KEYS[1], ARGV[2], ARGV[3], ARGV[1])
return 1
`,
);

/**
 * KEYS: record, due, live. ARGV: callId. Deletes the record, its due time and its place in
 * the live index together. Whatever the record key holds is deleted: it is the call's key.
 */
export const DELETE = script(
  'delete',
  `${WRONG_TYPES}
local refused = wrong_types({KEYS[2], 'zset', KEYS[3], 'zset'})
if refused then return redis.error_reply(refused) end
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('ZREM', KEYS[3], ARGV[1])
return 1
`,
);
