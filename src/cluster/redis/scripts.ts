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
