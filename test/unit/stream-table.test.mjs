import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { StreamTable } from '../../dist/core/stream-table.js';

const entry = (requestId) => ({ requestId, key: Number(requestId) });

test('one entry lives in the slot; more go to the map; size counts both', () => {
  const t = new StreamTable();
  const a = entry(3n), b = entry(5n), c = entry(7n);
  t.add(a);
  t.add(b);
  t.add(c);
  assert.is(t.size, 3);
  assert.is(t.get(3n), a);
  assert.is(t.get(5n), b);
  assert.is(t.get(7n), c);
  assert.is(t.get(9n), undefined);
  t.remove(b);
  assert.is(t.get(5n), undefined);
  assert.is(t.size, 2);
});

test('IDs above 2^53 are kept apart exactly (no rounding collisions)', () => {
  const t = new StreamTable();
  const slot = entry(1n);
  const big1 = entry(2n ** 53n + 1n);
  const big2 = entry(2n ** 53n + 2n); // Number(2^53 + 1) === Number(2^53 + 2): must not collide
  const top = entry(2n ** 64n - 1n);
  const safe = entry(BigInt(Number.MAX_SAFE_INTEGER));
  for (const e of [slot, big1, big2, top, safe]) t.add(e);
  assert.is(t.size, 5);
  assert.is(t.get(2n ** 53n + 1n), big1);
  assert.is(t.get(2n ** 53n + 2n), big2);
  assert.is(t.get(2n ** 64n - 1n), top);
  assert.is(t.get(BigInt(Number.MAX_SAFE_INTEGER)), safe);
  assert.is(t.get(2n ** 53n), undefined);
  t.remove(big1);
  assert.is(t.get(2n ** 53n + 1n), undefined);
  assert.is(t.get(2n ** 53n + 2n), big2);
  assert.equal(t.values().map((e) => e.requestId).sort(), [1n, 2n ** 53n + 2n, 2n ** 64n - 1n, BigInt(Number.MAX_SAFE_INTEGER)].sort());
});

test('remove() only removes the entry held under its ID', () => {
  const t = new StreamTable();
  const a = entry(3n), b = entry(5n), stale = entry(5n), hugeStale = entry(2n ** 60n);
  t.add(a);
  t.add(b);
  t.remove(stale);
  t.remove(hugeStale);
  assert.is(t.get(5n), b);
  assert.is(t.size, 2);
  t.clear();
  assert.is(t.size, 0);
  assert.is(t.get(3n), undefined);
});

test('many in flight: sequential IDs, out-of-order removal, and IDs that meet in one ring slot', () => {
  const t = new StreamTable();
  const live = new Map();
  const add = (id) => { const e = entry(id); t.add(e); live.set(id, e); };
  const del = (id) => { t.remove(live.get(id)); live.delete(id); };
  for (let i = 0n; i < 3000n; i++) add(3n + 2n * i);             // a pipelining client's IDs
  for (let i = 0n; i < 3000n; i += 3n) del(3n + 2n * i);          // answered out of order
  for (let i = 0n; i < 200n; i++) add(100001n + 2n * 65536n * i); // same slot in any ring up to 2^16
  for (let i = 0n; i < 50n; i++) add(2n ** 40n + 2n * i);         // above 2^32
  assert.is(t.size, live.size);
  for (const [id, e] of live) assert.is(t.get(id), e, `get ${id}`);
  assert.is(t.get(3n), undefined);
  assert.is(t.get(100001n + 2n * 65536n * 200n), undefined);
  assert.is(t.values().length, live.size);
  assert.is(new Set(t.values()).size, live.size);
  for (const id of [...live.keys()]) del(id);
  assert.is(t.size, 0);
  for (let i = 0n; i < 3000n; i++) assert.is(t.get(3n + 2n * i), undefined);
});

test.run();
