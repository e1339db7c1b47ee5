// Address parsing: Go-style host:port forms and ws:// URLs (scheme and path reported).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseAddress } from '../../dist/util/address.js';

test('host:port, :port, [::1]:port and a port number stay plain TCP', () => {
  assert.equal(parseAddress('127.0.0.1:80', 'd'), { host: '127.0.0.1', port: 80 });
  assert.equal(parseAddress(':81', 'd'), { host: 'd', port: 81 });
  assert.equal(parseAddress('[::1]:82', 'd'), { host: '::1', port: 82 });
  assert.equal(parseAddress(83, 'd'), { host: 'd', port: 83 });
});

test('ws:// URLs: scheme "ws" and the path; no path at all means Go\'s /qrpc, an explicit "/" stays', () => {
  assert.equal(parseAddress('ws://127.0.0.1:8080/qrpc', 'd'), { host: '127.0.0.1', port: 8080, scheme: 'ws', path: '/qrpc' });
  assert.equal(parseAddress('ws://h:1/a/b?x=1', 'd'), { host: 'h', port: 1, scheme: 'ws', path: '/a/b?x=1' });
  assert.equal(parseAddress('ws://h:2', 'd'), { host: 'h', port: 2, scheme: 'ws', path: '/qrpc' });
  assert.equal(parseAddress('ws://h:3/', 'd'), { host: 'h', port: 3, scheme: 'ws', path: '/' });
  assert.equal(parseAddress('ws://[::1]:4/q', 'd'), { host: '::1', port: 4, scheme: 'ws', path: '/q' });
});

test('ws:// without a port, or not a URL, is ERR_INVALID_ARG', () => {
  for (const bad of ['ws://h/qrpc', 'ws://:x']) {
    try {
      parseAddress(bad, 'd');
      assert.unreachable(bad);
    } catch (err) {
      assert.is(err.code, 'ERR_INVALID_ARG', bad);
    }
  }
});

test.run();
