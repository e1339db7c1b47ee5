// Server lifecycle: idle → listening → shutting down → closed. listen() is
// idempotent, a shut-down server is final (listen rejects ERR_SHUTDOWN),
// shutdown() always releases every listener, and a failed listen() closes the
// bindings that came up and leaves the server idle for a retry.
import net from 'node:net';
import { spawn } from 'node:child_process';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Server } from '../../dist/index.js';
import { helloMux, rejection } from '../helpers.mjs';

const distUrl = new URL('../../dist/index.js', import.meta.url).href;

/** Resolves with null once a plain net server could bind 127.0.0.1:port (then frees it again), or with the bind error. */
function bindError(port) {
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.once('error', (err) => resolve(err));
    probe.listen({ host: '127.0.0.1', port, exclusive: true }, () => probe.close(() => resolve(null)));
  });
}

/** A port nobody listens on right now (the kernel's pick for port 0). */
function freePort() {
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

/** A net server holding a port, to make a binding fail with EADDRINUSE. */
function occupy() {
  return new Promise((resolve) => {
    const blocker = net.createServer();
    blocker.listen(0, '127.0.0.1', () => resolve({ port: blocker.address().port, close: () => new Promise((done) => blocker.close(() => done())) }));
  });
}

const server = (...addrs) => new Server(addrs.map((addr) => ({ addr, handler: helloMux() })));

test('listen() twice (in turn and at once) keeps one listener, and shutdown() frees its port', async () => {
  const s = server('127.0.0.1:0');
  assert.is(await s.listen(), s);
  const { port } = s.address(0);
  assert.is(await s.listen(), s, 'a second listen() resolves to the same server');
  assert.is(s.address(0).port, port, 'no second listener replaced the first');
  await s.shutdown({ timeoutMs: 500 });
  assert.is(await bindError(port), null, 'the port is free after shutdown');

  const t = server('127.0.0.1:0');
  const first = t.listen();
  assert.is(t.listen(), first, 'a listen() while one is in flight returns the same promise');
  await first;
  const again = t.address(0).port;
  await t.shutdown({ timeoutMs: 500 });
  assert.is(await bindError(again), null);
});

test('a process that listens twice and shuts down exits by itself', async () => {
  const script = `
    import { Server } from ${JSON.stringify(distUrl)};
    const s = new Server([{ addr: '127.0.0.1:0', handler: () => {} }]);
    await s.listen();
    await s.listen();
    await s.shutdown({ timeoutMs: 100 });
  `;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  // Generous bound: the process should exit within milliseconds; only a leaked listener keeps it.
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  const [code, signal] = await new Promise((resolve) => child.on('exit', (c, s) => resolve([c, s])));
  clearTimeout(timer);
  assert.is(signal, null, 'the process did not exit by itself (killed after 10 s): a listener was left open');
  assert.is(code, 0, stderr);
});

test('shutdown() before listen() resolves; listen() after shutdown() rejects with ERR_SHUTDOWN; shutdown() twice is one promise', async () => {
  const never = server('127.0.0.1:0');
  await never.shutdown();
  const early = await rejection(never.listen());
  assert.is(early.code, 'ERR_SHUTDOWN');

  const s = server('127.0.0.1:0');
  await s.listen();
  const { port } = s.address(0);
  const shut = s.shutdown({ timeoutMs: 500 });
  assert.is(s.shutdown(), shut, 'a second shutdown() returns the same promise');
  const during = await rejection(s.listen());
  assert.is(during.code, 'ERR_SHUTDOWN', 'listen() while shutting down rejects');
  await shut;
  const after = await rejection(s.listen());
  assert.is(after.code, 'ERR_SHUTDOWN', 'listen() after shutdown rejects');
  assert.match(after.message, /new Server/);
  assert.is(await bindError(port), null, 'and it opened no listener');
});

test('a binding that fails to listen: the others are closed, listen() rejects with its ERR_SOCKET, a retry works', async () => {
  const blocker = await occupy();
  const a = await freePort();
  const b = await freePort();
  const s = server(`127.0.0.1:${a}`, `127.0.0.1:${blocker.port}`, `127.0.0.1:${b}`);
  try {
    const err = await rejection(s.listen());
    assert.is(err.code, 'ERR_SOCKET');
    assert.ok(err.message.includes(`127.0.0.1:${blocker.port}`), `the error names the address: ${err.message}`);
    assert.is(await bindError(a), null, 'the binding before the failed one was closed');
    assert.is(await bindError(b), null, 'the binding after the failed one was closed');
    assert.throws(() => s.address(0), /not listening/);

    // Back to idle: once the port is free, listen() works.
    await blocker.close();
    await s.listen();
    assert.equal([0, 1, 2].map((i) => s.address(i).port), [a, blocker.port, b]);
  } finally {
    await blocker.close().catch(() => {});
    await s.shutdown({ timeoutMs: 500 });
  }
  for (const port of [a, blocker.port, b]) assert.is(await bindError(port), null, `port ${port} free after shutdown`);
});

test('shutdown() during an in-flight listen() waits for it and closes every listener that came up', async () => {
  const a = await freePort();
  const b = await freePort();
  const s = server(`127.0.0.1:${a}`, `127.0.0.1:${b}`);
  const listening = rejection(s.listen());
  await s.shutdown({ timeoutMs: 500 });
  assert.is(await bindError(a), null, 'the first listener came up after shutdown() began and was closed');
  assert.is(await bindError(b), null, 'so was the second');
  const err = await listening;
  assert.is(err.code, 'ERR_SHUTDOWN', 'the interrupted listen() reports the shutdown');
});

test.run();
