import { createHash } from 'node:crypto';
import { loadedRedis } from './client.js';
import { QrpcError } from '../../protocol/errors.js';

const digests = new Map<string, string>();

/** The SHA1 Redis files a script under: computed here, so no SCRIPT LOAD round trip is needed. */
function digestOf(script: string): string {
  let sha = digests.get(script);
  if (sha === undefined) {
    sha = createHash('sha1').update(script).digest('hex');
    digests.set(script, sha);
  }
  return sha;
}

function isNoScript(err: unknown): boolean {
  const cause = err instanceof QrpcError ? err.cause : err;
  return cause instanceof loadedRedis().ErrorReply && cause.message.startsWith('NOSCRIPT');
}

/**
 * Runs a Lua script by its digest (EVALSHA: the body is not sent and hashed
 * again on every push); a Redis that does not know it yet (fresh, restarted,
 * SCRIPT FLUSH) answers NOSCRIPT without running anything, and then the body
 * goes once with EVAL, which also caches it.
 */
export async function callScript<T>(send: (args: Array<string | Buffer>) => Promise<T>, script: string, keys: readonly string[], args: ReadonlyArray<string | Buffer>): Promise<T> {
  const rest = [String(keys.length), ...keys, ...args];
  try {
    return await send(['EVALSHA', digestOf(script), ...rest]);
  } catch (err) {
    if (!isNoScript(err)) throw err;
    return send(['EVAL', script, ...rest]);
  }
}
