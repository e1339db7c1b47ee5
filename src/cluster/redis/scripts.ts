/**
 * Lua run by Redis, so each check-and-change is atomic against every other
 * node's. A claim value is "<nodeId> <token>".
 */

/** Drops the claim only while it still is ours: a newer login's claim is left alone. */
export const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

/**
 * The heartbeat and the re-registration after a Redis restart in one: extends
 * our claim, or puts it back when the key is gone (expired, or Redis lost its
 * data); 0 when another node has claimed the id since (ours lost).
 */
export const REFRESH = `local v = redis.call('GET', KEYS[1])
if v == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end
if not v then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 1 end
return 0`;

/**
 * A push by id in one round trip to Redis: reads the claims of KEYS, and
 * publishes one message per holding node straight from Redis (the message
 * is built here: a u32 header length, the header with that node's ids, the
 * payload), so a push crosses one hop, not a lookup and then a publish.
 * ARGV: node channel prefix, header JSON without ids and without its closing
 * brace (the ids are appended here, no JSON decoding in Lua), payload, our nodeId,
 * length of the key prefix (what precedes the id in a key).
 * Returns { offline key indexes, then per node: node, receivers, key indexes, claim values }.
 */
export const PUSH_TO_IDS = `local groups, order, offline = {}, {}, {}
local skip = tonumber(ARGV[5])
for i, key in ipairs(KEYS) do
  local v = redis.call('GET', key)
  local node = v and string.match(v, '^(.*) [^ ]+$')
  if not node or node == ARGV[4] then
    offline[#offline + 1] = i - 1
  else
    local g = groups[node]
    if not g then g = { idx = {}, raw = {}, ids = {} }; groups[node] = g; order[#order + 1] = node end
    g.idx[#g.idx + 1] = i - 1
    g.raw[#g.raw + 1] = v
    g.ids[#g.ids + 1] = string.sub(key, skip + 1)
  end
end
local result = { offline }
for _, node in ipairs(order) do
  local g = groups[node]
  local h = ARGV[2] .. ',"ids":' .. cjson.encode(g.ids) .. '}'
  local receivers = redis.call('PUBLISH', ARGV[1] .. node, struct.pack('>I4', #h) .. h .. ARGV[3])
  result[#result + 1] = node
  result[#result + 1] = receivers
  result[#result + 1] = g.idx
  result[#result + 1] = g.raw
end
return result`;
