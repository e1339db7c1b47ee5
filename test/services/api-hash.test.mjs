// Api consistent-hash routing by key: a key stays on its endpoint; an endpoint joining takes about 1/(n+1)
// of the keys and only keys move to it; an endpoint leaving hands over only its own keys (about 1/n).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Api } from '../../dist/index.js';
import { rejection } from '../helpers.mjs';
import { namedServers, stopAll, WHO } from './api-servers.mjs';

const KEYS = Array.from({ length: 4000 }, (_, i) => `user-${i}`);

/** Which server answered each key's call. */
async function owners(api) {
  const replies = await Promise.all(KEYS.map((key) => api.call(WHO, 'x', { key })));
  return replies.map((f) => f.payload.toString());
}

// With 1000 points per endpoint the shares vary by ~3 % of 1/n and 4000 keys add ~0.6 %: 0.04 is > 4 sd.
const TOLERANCE = 0.04;

test('keys stick to an endpoint; add() moves ~1/(n+1) of them, all to the new one; remove() moves only the removed one\'s (~1/n)', async () => {
  const servers = await namedServers(6);
  const first = servers.slice(0, 5);
  const api = new Api(first.map((s) => s.addr), { virtualNodes: 1000 });
  try {
    const before = await owners(api);
    assert.equal(await owners(api), before, 'the same key reaches the same endpoint again');
    assert.equal(KEYS.map((key) => api.route(key)), before.map((name) => servers[Number(name.slice(1))].addr), 'route() names the endpoint that answers');
    const used = new Set(before);
    assert.is(used.size, 5, 'every endpoint owns keys');

    await api.add(servers[5].addr);
    const afterAdd = await owners(api);
    const moved = KEYS.filter((_, i) => afterAdd[i] !== before[i]).length;
    assert.ok(KEYS.every((_, i) => afterAdd[i] === before[i] || afterAdd[i] === 's5'), 'keys only move to the endpoint that joined');
    assert.ok(Math.abs(moved / KEYS.length - 1 / 6) < TOLERANCE, `moved ${moved / KEYS.length} of the keys on a join, theory 1/6`);

    await api.remove(servers[2].addr);
    const afterRemove = await owners(api);
    const movedOut = KEYS.filter((_, i) => afterRemove[i] !== afterAdd[i]);
    assert.ok(KEYS.every((_, i) => (afterAdd[i] === 's2') === (afterRemove[i] !== afterAdd[i])), 'exactly the removed endpoint\'s keys moved');
    assert.ok(Math.abs(movedOut.length / KEYS.length - 1 / 6) < TOLERANCE, `moved ${movedOut.length / KEYS.length} of the keys on a leave, theory 1/6`);
    assert.ok(!afterRemove.includes('s2'));
  } finally {
    await api.close();
    await stopAll(servers);
  }
});

test('a key whose endpoint is down goes to the next endpoint on the ring, and back when it is up again', async () => {
  const servers = await namedServers(3);
  const api = new Api(servers.map((s) => s.addr));
  try {
    await api.ready();
    const key = 'room-42';
    const home = (await api.call(WHO, 'x', { key })).payload.toString();
    const homeServer = servers.find((s) => s.name === home);
    await api.remove(homeServer.addr);
    const away = (await api.call(WHO, 'x', { key })).payload.toString();
    assert.is.not(away, home);
    assert.is(api.route(key), servers.find((s) => s.name === away).addr);
    await api.add(homeServer.addr);
    assert.is((await api.call(WHO, 'x', { key })).payload.toString(), home, 'the ring is a function of its members: the key comes home');
  } finally {
    await api.close();
    await stopAll(servers);
  }
});

test('bad keys and duplicates fail with ERR_INVALID_ARG; remove() of an unknown endpoint with ERR_UNKNOWN_ENDPOINT', async () => {
  const servers = await namedServers(1);
  const api = new Api([servers[0].addr]);
  try {
    assert.is((await rejection(api.call(WHO, 'x', { key: {} }))).code, 'ERR_INVALID_ARG');
    assert.is((await rejection(api.add(servers[0].addr))).code, 'ERR_INVALID_ARG');
    assert.is((await rejection(api.remove('127.0.0.1:1'))).code, 'ERR_UNKNOWN_ENDPOINT');
    assert.is((await api.call(WHO, 'x', { key: Buffer.from([1, 2, 3]) })).payload.toString(), 's0', 'bytes are keys too');
    assert.is((await api.call(WHO, 'x', { key: 42n })).payload.toString(), 's0');
  } finally {
    await api.close();
    await stopAll(servers);
  }
});

test.run();
