import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseAddress } from '../../dist/util/address.js';
import { isTlsError } from '../../dist/transport/tls/errors.js';

test('parseAddress reports tls:// (the client must know it) and leaves plain addresses without a scheme', () => {
  assert.equal(parseAddress('tls://example.com:8443', '127.0.0.1'), { host: 'example.com', port: 8443, scheme: 'tls' });
  assert.equal(parseAddress('tls://[::1]:1', '127.0.0.1'), { host: '::1', port: 1, scheme: 'tls' });
  assert.equal(parseAddress('tls://:9', '0.0.0.0'), { host: '0.0.0.0', port: 9, scheme: 'tls' });
  assert.equal(parseAddress({ host: 'h', port: 2, scheme: 'tls' }, 'x'), { host: 'h', port: 2, scheme: 'tls' });
  assert.equal(parseAddress('tcp://h:3', 'x'), { host: 'h', port: 3 });
  assert.equal(parseAddress('qrpc://h:3', 'x'), { host: 'h', port: 3 });
  assert.equal(parseAddress('h:3', 'x'), { host: 'h', port: 3 });
  assert.throws(() => parseAddress('tls://nohost', 'x'), (e) => e.code === 'ERR_INVALID_ARG');
});

test('TLS failures are told from network ones by their code', () => {
  const err = (code) => Object.assign(new Error(code), { code });
  for (const code of ['CERT_HAS_EXPIRED', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'ERR_TLS_CERT_ALTNAME_INVALID', 'ERR_SSL_WRONG_VERSION_NUMBER', 'ERR_TLS_HANDSHAKE_TIMEOUT']) {
    assert.ok(isTlsError(err(code)), code);
  }
  for (const code of ['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'EAI_AGAIN', 'ERR_SOCKET_CLOSED', undefined]) assert.not.ok(isTlsError(err(code)), String(code));
});

test.run();
