// Bad inputs of the restart path: a binding `fd` that is not a listening TCP
// socket, a malformed handover variable, GracefulRestart used out of order.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fs from 'node:fs';
import { GracefulRestart, Server, ServeMux } from '../../dist/index.js';
import { connectedSocket, rejection } from '../helpers.mjs';

const mux = new ServeMux();
mux.handleCall(1, () => 'x');

test('a binding fd that is a file: listen() rejects with ERR_SOCKET naming the fd', async () => {
  const fd = fs.openSync(new URL(import.meta.url), 'r');
  try {
    const server = new Server([{ addr: ':0', handler: mux, fd }]);
    const err = await rejection(server.listen());
    assert.is(err.code, 'ERR_SOCKET');
    assert.match(err.message, `listen fd ${fd}: `);
    await server.shutdown();
    // Not taken over: the fd is still ours to close.
    assert.ok(fs.fstatSync(fd).isFile());
  } finally {
    fs.closeSync(fd);
  }
});

test('a binding fd that is a connected (not listening) socket: ERR_SOCKET', async () => {
  const { socket, close } = await connectedSocket();
  try {
    const server = new Server([{ addr: ':0', handler: mux, fd: socket._handle.fd }]);
    const err = await rejection(server.listen());
    assert.is(err.code, 'ERR_SOCKET');
    await server.shutdown();
  } finally {
    close();
  }
});

test('a malformed handover variable: ERR_INVALID_ARG', () => {
  const saved = process.env.QRPC_INHERITED_LISTENERS;
  try {
    for (const bad of ['{', '[{"addr":"\\":0\\"","fd":-1}]', '{"fd":4}']) {
      process.env.QRPC_INHERITED_LISTENERS = bad;
      try {
        new GracefulRestart({ signal: null });
        assert.unreachable(`accepted ${bad}`);
      } catch (err) {
        assert.is(err.code, 'ERR_INVALID_ARG', bad);
      }
    }
  } finally {
    if (saved === undefined) delete process.env.QRPC_INHERITED_LISTENERS;
    else process.env.QRPC_INHERITED_LISTENERS = saved;
  }
});

test('out of order: ready() before bindings(), upgrade() before ready()', async () => {
  const restart = new GracefulRestart({ signal: null });
  assert.is(restart.inheritedListeners, false);
  const server = new Server([{ addr: '127.0.0.1:0', handler: mux }]);
  assert.is((await rejection(restart.ready(server))).code, 'ERR_INVALID_ARG');
  assert.is((await rejection(restart.upgrade())).code, 'ERR_INVALID_ARG');
});

test('an inherited socket goes to the binding with the same addr; the variable is consumed', () => {
  process.env.QRPC_INHERITED_LISTENERS = JSON.stringify([{ addr: JSON.stringify('127.0.0.1:0'), fd: 99 }]);
  const restart = new GracefulRestart({ signal: null });
  assert.is(restart.inheritedListeners, true);
  assert.is(process.env.QRPC_INHERITED_LISTENERS, undefined, 'a process started from here does not see it');
  const [admin, main] = restart.bindings([{ addr: ':0', handler: mux }, { addr: '127.0.0.1:0', handler: mux }]);
  assert.is(admin.fd, undefined);
  assert.is(main.fd, 99);
});

test('without an inherited socket, bindings() leaves the bindings as they are', () => {
  const restart = new GracefulRestart({ signal: null });
  const list = [{ addr: ':0', handler: mux }];
  assert.equal(restart.bindings(list), list);
});

test.run();
