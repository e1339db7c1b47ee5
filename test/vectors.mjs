// Loading the recorded Go sessions (../shared/vectors) for the replay suites.
import { readFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FrameParser, requestIdOf } from '../dist/index.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const VECTORS = process.env.QRPC_VECTORS ?? join(root, '..', 'shared', 'vectors');

/** { c2s, s2c, json } of one recorded session. */
export function vector(name) {
  const file = (ext) => join(VECTORS, `${name}.${ext}`);
  if (!existsSync(file('json'))) throw new Error(`vector ${name} not found in ${VECTORS} (set QRPC_VECTORS)`);
  return { c2s: readFileSync(file('c2s.bin')), s2c: readFileSync(file('s2c.bin')), json: JSON.parse(readFileSync(file('json'), 'utf8')) };
}

/** Every frame in a byte string, payloads copied. */
export function parseAll(bytes) {
  const frames = [];
  new FrameParser(1 << 30).push(bytes, (hi, lo, flags, cmd, payload) => frames.push({ requestId: requestIdOf(hi, lo), flags, cmd, payload: Buffer.from(payload) }));
  return frames;
}

export const hex = (b) => b.toString('hex');

/** Hang guard (not a timing assertion): a wait that never ends fails the test with `what` instead. */
export function bounded(promise, what, ms = 15000) {
  let timer;
  const giveUp = new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`gave up waiting for ${what}`)), ms)));
  return Promise.race([promise, giveUp]).finally(() => clearTimeout(timer));
}
