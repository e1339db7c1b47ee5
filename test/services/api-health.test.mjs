// Api health: an endpoint that fails is skipped and re-probed with back-off; once its server is there it is used again.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Api, Server } from '../../dist/index.js';
import { until } from '../helpers.mjs';
import { namedServers, stopAll, freePort, WHO } from './api-servers.mjs';
import { ServeMux } from '../../dist/index.js';

test('a down endpoint is re-probed until its server comes up, then serves calls again', async () => {
  const servers = await namedServers(1);
  const port = await freePort();
  const late = `127.0.0.1:${port}`;
  const api = new Api([servers[0].addr, late], { health: { backoffMs: 10, maxBackoffMs: 40 } });
  let lateServer = null;
  try {
    await api.ready();
    await until(() => api.status()[1].failures >= 3, 'several failed probes');
    assert.is(api.status()[1].state === 'up', false);
    const meanwhile = await Promise.all(Array.from({ length: 20 }, () => api.call(WHO, 'x')));
    assert.ok(meanwhile.every((f) => f.payload.toString() === 's0'), 'the down endpoint is skipped');

    const mux = new ServeMux().handleCall(WHO, () => 'late');
    lateServer = new Server([{ addr: late, handler: mux }]);
    await lateServer.listen();
    await until(() => api.status()[1].state === 'up', 'the probe reconnects');
    assert.is(api.status()[1].failures, 0, 'failures reset once up');
    assert.is((await api.callOne(late, WHO, 'x')).payload.toString(), 'late');
  } finally {
    await api.close();
    await lateServer?.shutdown({ timeoutMs: 500 });
    await stopAll(servers);
  }
});

test('close() stops the probes: a closed Api keeps nothing running (the process can exit) and rejects calls with ERR_CONN_CLOSED', async () => {
  const dead = `127.0.0.1:${await freePort()}`;
  const api = new Api([dead], { health: { backoffMs: 10 } });
  await api.ready();
  await api.close();
  const err = await api.call(WHO, 'x').catch((e) => e);
  assert.is(err.code, 'ERR_CONN_CLOSED');
  const failures = api.status()[0].failures;
  // A probe timer left behind would keep this process alive and fail the runner's per-file timeout.
  assert.ok(failures >= 1);
});

test.run();
