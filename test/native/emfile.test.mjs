// EMFILE on accept: a server process with a tiny descriptor limit backs off,
// keeps serving its connections, and accepts again once descriptors free up.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { nativeOrSkip, rawClient, encode } from './_native.mjs';

const native = nativeOrSkip('native EMFILE');

const serverSource = `
const { loadNativeTransport } = await import(process.argv[1]);
const { DEFAULT_SOCKET_OPTIONS } = await import(process.argv[2]);
const { transport } = loadNativeTransport();
const l = await transport.listen({ ...DEFAULT_SOCKET_OPTIONS, host: '127.0.0.1', port: 0, backlog: 511, reusePort: false }, (conn) => {
  conn.attach({ onFrame(hi, lo, f, c, p) { conn.writeFrame((BigInt(hi) << 32n) | BigInt(lo), f, c, p); }, onDrain() {}, onClose() {} });
});
console.log(String(l.port));
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
`;

function ask(sock, id) {
  return new Promise((resolve, reject) => {
    let got = Buffer.alloc(0);
    const onData = (d) => {
      got = Buffer.concat([got, d]);
      if (got.length >= 20) {
        sock.off('data', onData);
        resolve(got.readBigUInt64BE(4));
      }
    };
    sock.on('data', onData);
    sock.once('error', reject);
    sock.write(encode(id, 0, 1, Buffer.from('ping')));
  });
}

if (native) {
  test('accept hits EMFILE: backs off, keeps serving, recovers', async () => {
    const load = new URL('../../dist/transport/native/load.js', import.meta.url).href;
    const types = new URL('../../dist/transport/types.js', import.meta.url).href;
    const child = spawn('bash', ['-c', 'ulimit -n 60 && exec "$0" --input-type=module -e "$1" "$2" "$3"', process.execPath, serverSource, load, types], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    const exited = new Promise((r) => child.once('exit', (code, signal) => r({ code, signal })));
    const port = await new Promise((resolve) => child.stdout.once('data', (d) => resolve(Number(String(d).trim()))));
    assert.ok(port > 0);
    const first = await rawClient(port);
    assert.is(await ask(first, 1n), 1n);
    // Far more connections than the server has descriptors for.
    const extra = [];
    for (let i = 0; i < 80; i++) extra.push(await rawClient(port));
    // The first connection is still served while accept fails.
    assert.is(await ask(first, 2n), 2n);
    // Free descriptors: the server accepts again and answers a late client.
    for (const s of extra.splice(0, 70)) s.destroy();
    const late = extra[extra.length - 1];
    assert.is(await ask(late, 3n), 3n);
    for (const s of extra) s.destroy();
    first.destroy();
    child.stdin.end();
    const { code, signal } = await exited;
    assert.is(signal, null);
    assert.is(code, 0);
  });
}

test.run();
