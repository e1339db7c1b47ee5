// The prom-client adapter: a real Registry, read back the way a scrape reads it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Registry } from 'prom-client';
import { ServeMux, connect, silentLogger } from '../../dist/index.js';
import { prometheusMetrics } from '../../dist/metrics/prometheus.js';
import { startServer, until, rejection } from '../helpers.mjs';

/** value of one sample of a metric from the registry's JSON (what /metrics would show). */
async function sample(registry, name, labels, metricName = name) {
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === name);
  assert.ok(metric, `metric ${name} registered`);
  const hit = metric.values.find((v) => (v.metricName ?? name) === metricName && Object.entries(labels).every(([k, val]) => v.labels[k] === val));
  return hit?.value;
}

test('requests, latency histogram, bytes, connections, errors and kicks land in the registry', async () => {
  const registry = new Registry();
  const metrics = prometheusMetrics({ registry, prefix: 'app_qrpc_' });
  const mux = new ServeMux();
  mux.handle(1, (w, req) => w.reply(req.requestId, 2, 'pong'));
  mux.handle(2, async (w, req) => {
    await req.connection.setId('user');
    await w.reply(req.requestId, 2, '');
  });
  mux.handle(3, () => { throw new Error('handler failure'); });
  const { server, addr } = await startServer(mux, { metrics: metrics.server('public') }, { logger: silentLogger });
  const conn = await connect(addr, { metrics: metrics.client('api'), logger: silentLogger });
  await conn.call(1, 'ping');
  await conn.call(1, 'ping');
  await rejection(conn.call(3, ''));

  const served = { side: 'server', name: 'public', cmd: '1', outcome: 'ok' };
  assert.is(await sample(registry, 'app_qrpc_requests_total', served), 2);
  assert.is(await sample(registry, 'app_qrpc_requests_total', { side: 'server', cmd: '3', outcome: 'error' }), 1);
  assert.is(await sample(registry, 'app_qrpc_requests_total', { side: 'client', name: 'api', cmd: '3', outcome: 'ERR_STREAM_RESET' }), 1);
  assert.is(await sample(registry, 'app_qrpc_request_duration_seconds', served, 'app_qrpc_request_duration_seconds_count'), 2);
  assert.is(await sample(registry, 'app_qrpc_request_duration_seconds', { side: 'client', cmd: '1', outcome: 'ok' }, 'app_qrpc_request_duration_seconds_count'), 2);
  // Three requests of 16 + 4, 16 + 4, 16 + 0 bytes; answers 2 × (16 + 4) and one empty reset.
  assert.is(await sample(registry, 'app_qrpc_bytes_total', { side: 'server', direction: 'in' }), 56);
  assert.is(await sample(registry, 'app_qrpc_bytes_total', { side: 'server', direction: 'out' }), 56);
  assert.is(await sample(registry, 'app_qrpc_bytes_total', { side: 'client', direction: 'out' }), 56);
  // Summed since the last scrape, added at the next: a second scrape without traffic shows the same totals.
  assert.is(await sample(registry, 'app_qrpc_bytes_total', { side: 'server', direction: 'in' }), 56);
  assert.is(await sample(registry, 'app_qrpc_resets_total', { side: 'server', direction: 'out' }), 1);
  assert.is(await sample(registry, 'app_qrpc_connections', { side: 'server', name: 'public' }), 1);
  assert.is(await sample(registry, 'app_qrpc_connections', { side: 'client', name: 'api' }), 1);

  const second = await connect(addr, { logger: silentLogger });
  await conn.call(2, '');
  const kickedClosed = new Promise((resolve) => server.once('disconnect', resolve));
  await second.call(2, '');
  await conn.closed;
  await kickedClosed;
  assert.is(await sample(registry, 'app_qrpc_kicks_total', { side: 'server' }), 1);
  assert.is(await sample(registry, 'app_qrpc_connection_errors_total', { side: 'server', code: 'ERR_KICKED' }), 1);
  assert.is(await sample(registry, 'app_qrpc_connection_errors_total', { side: 'client', code: 'ERR_KICKED' }), 1);
  assert.is(await sample(registry, 'app_qrpc_connections', { side: 'server' }), 1);
  assert.is(await sample(registry, 'app_qrpc_connections_opened_total', { side: 'server' }), 2);
  assert.is(await sample(registry, 'app_qrpc_connections', { side: 'client', name: 'api' }), 0);
  const text = await registry.metrics();
  assert.match(text, /app_qrpc_requests_total\{side="server",name="public",cmd="1",outcome="ok"\} 2/);
  assert.match(text, /app_qrpc_request_duration_seconds_bucket\{side="server",name="public",cmd="1",outcome="ok",le="\+Inf"\} 2\n/);
  assert.match(text, /# TYPE app_qrpc_request_duration_seconds histogram/);
  await second.close();
  await server.shutdown({ timeoutMs: 500 });
});

test('one adapter per registry and prefix: a second one is refused with ERR_INVALID_ARG', () => {
  const registry = new Registry();
  prometheusMetrics({ registry });
  try {
    prometheusMetrics({ registry });
    assert.unreachable('registered twice');
  } catch (err) {
    assert.is(err.code, 'ERR_INVALID_ARG');
    assert.match(err.message, /one prometheusMetrics\(\) per registry and prefix/);
  }
  prometheusMetrics({ registry, prefix: 'other_' });
});

test.run();
