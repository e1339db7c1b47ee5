// A host that does not resolve rejects with a QrpcError, never a plain
// Error: ERR_CONNECT for connect, ERR_SOCKET for listen (the fallback's codes).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { nativeOrSkip, opts } from './_native.mjs';
import { QrpcError } from '../../dist/protocol/errors.js';

const native = nativeOrSkip('native host resolution');
const t = native?.transport;

async function rejection(p) {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

if (t) {
  test('connect to an unresolvable name rejects with ERR_CONNECT', async () => {
    const err = await rejection(t.connect({ ...opts(), host: 'no.such.host.invalid', port: 1, connectTimeoutMs: 5000 }));
    assert.instance(err, QrpcError);
    assert.is(err.code, 'ERR_CONNECT');
    assert.ok(err.cause, 'the dns error is the cause');
  });

  test('listen on an unresolvable name rejects with ERR_SOCKET', async () => {
    const err = await rejection(t.listen({ ...opts(), host: 'no.such.host.invalid', port: 0, backlog: 511, reusePort: false }, () => {}));
    assert.instance(err, QrpcError);
    assert.is(err.code, 'ERR_SOCKET');
    assert.ok(err.cause, 'the dns error is the cause');
  });
}

test.run();
