import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DEFAULT_SOCKET_OPTIONS, connectOptions } from '../../dist/transport/types.js';

test('connectOptions carries every socket option (a new option is not silently dropped) plus host, port and connect timeout', () => {
  const socket = {};
  let i = 1;
  for (const key of Object.keys(DEFAULT_SOCKET_OPTIONS)) socket[key] = typeof DEFAULT_SOCKET_OPTIONS[key] === 'boolean' ? !DEFAULT_SOCKET_OPTIONS[key] : 1000 + i++;
  const o = connectOptions(socket, 'h.example', 4321, 77);
  assert.equal(o, { ...socket, host: 'h.example', port: 4321, connectTimeoutMs: 77, tls: null });
});

test.run();
