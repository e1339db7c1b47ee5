// Shared constants and helpers for the benchmark contenders and the harness.
import { performance } from 'node:perf_hooks';

export const REQ_PAYLOAD = 'xu';
export const HELLO = 'hello world ';
export const EXPECTED = HELLO + REQ_PAYLOAD; // "hello world xu"
export const EXPECTED_BUF = Buffer.from(EXPECTED);
export const PUSH_SIZE = 64;
export const PUSH_PAYLOAD = Buffer.alloc(PUSH_SIZE, 0x70); // 64 x 'p'

// qrpc wire constants (spec §1-2)
export const HEADER_SIZE = 16;
export const FLAG_NB = 8;
export const FLAG_PUSH = 16;
export const CMD_HELLO = 0;
export const CMD_REPLY = 1;
export const CMD_PUSH = 2;
export const MAX_FRAME = 10 * 1024 * 1024;

/** Wall clock in microseconds, comparable across processes on one machine. */
export function wallUs() {
  return (performance.timeOrigin + performance.now()) * 1000;
}

/** True when `res` (Buffer or string) is the expected "hello world xu". */
export function checkReply(res) {
  if (typeof res === 'string') return res === EXPECTED;
  return res != null && EXPECTED_BUF.equals(res);
}

export function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  if (n === 0) return NaN;
  return n % 2 ? s[(n - 1) >> 1] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

/** Exit by ourselves after `ms` no matter what (the harness may have died). */
export function lifetime(ms) {
  const t = setTimeout(() => {
    process.stderr.write(`lifetime of ${ms} ms exceeded, exiting\n`);
    process.exit(3);
  }, ms);
  t.unref();
}

/** Calls `fn(line)` for every stdin line; `onEnd` when stdin closes. */
export function onStdinLines(fn, onEnd) {
  let buf = '';
  process.stdin.setEncoding('utf8');
  process.stdin.on('data', (d) => {
    buf += d;
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i).trim();
      buf = buf.slice(i + 1);
      if (line) fn(line);
    }
  });
  process.stdin.on('end', onEnd);
  process.stdin.on('error', onEnd);
}

export function out(line) {
  process.stdout.write(line + '\n');
}
