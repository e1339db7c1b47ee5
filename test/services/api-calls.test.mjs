// Api (Go's NewAPI): weighted random call, callOne on a named endpoint, callAll with a result or an error per endpoint.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Api } from '../../dist/index.js';
import { rejection } from '../helpers.mjs';
import { namedServers, stopAll, freePort, WHO } from './api-servers.mjs';

test('call picks endpoints by weight: with weights [1, 4] about 4/5 of the calls reach the second', async () => {
  const servers = await namedServers(2);
  const api = new Api(servers.map((s) => s.addr), { weights: [1, 4] });
  try {
    await api.ready();
    const replies = await Promise.all(Array.from({ length: 2000 }, () => api.call(WHO, 'x')));
    const second = replies.filter((f) => f.payload.toString() === 's1').length;
    assert.is(servers[0].handled + servers[1].handled, 2000, 'every call handled exactly once');
    assert.is(second, servers[1].handled);
    // Binomial(2000, 0.8): sd ≈ 0.009; 0.05 is > 5 sd.
    assert.ok(Math.abs(second / 2000 - 0.8) < 0.05, `share of the weight-4 endpoint: ${second / 2000}`);
  } finally {
    await api.close();
    await stopAll(servers);
  }
});

test('callOne reaches the named endpoint only; the answer frame is the server\'s (cmd, payload)', async () => {
  const servers = await namedServers(3);
  const api = new Api(servers.map((s) => s.addr));
  try {
    for (let i = 0; i < 3; i++) {
      const frame = await api.callOne(servers[i].addr, WHO, 'x');
      assert.is(frame.payload.toString(), `s${i}`);
      assert.is(frame.cmd, WHO);
    }
    assert.equal(servers.map((s) => s.handled), [1, 1, 1]);
    const unknown = await rejection(api.callOne('127.0.0.1:1', WHO, 'x'));
    assert.is(unknown.code, 'ERR_UNKNOWN_ENDPOINT');
  } finally {
    await api.close();
    await stopAll(servers);
  }
});

test('callAll: a frame per live endpoint and an error (ERR_NO_ENDPOINT, cause ERR_CONNECT) for a dead one, keyed by endpoint', async () => {
  const servers = await namedServers(2);
  const dead = `127.0.0.1:${await freePort()}`;
  const endpoints = [servers[0].addr, dead, servers[1].addr];
  const api = new Api(endpoints, { health: { backoffMs: 60_000 } });
  try {
    const results = await api.callAll(WHO, 'x');
    assert.equal([...results.keys()], endpoints, 'one entry per endpoint, in order');
    assert.is(results.get(servers[0].addr).frame.payload.toString(), 's0');
    assert.is(results.get(servers[0].addr).error, null);
    assert.is(results.get(servers[1].addr).frame.payload.toString(), 's1');
    const failed = results.get(dead);
    assert.is(failed.frame, null);
    assert.is(failed.error.code, 'ERR_NO_ENDPOINT');
    assert.is(failed.error.cause.code, 'ERR_CONNECT');
  } finally {
    await api.close();
    await stopAll(servers);
  }
});

test.run();
