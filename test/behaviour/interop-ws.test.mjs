// The interop tools against each other over the WebSocket overlay (--ws on
// both: ws://127.0.0.1:PORT/qrpc): every scenario as over TCP; the server
// reports the transport serving its binding ("transport: ws").
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ALL, runClient, startInteropServer, stop } from '../interop-procs.mjs';

test('interop-client --ws --scenario all passes every scenario against interop-server --port 0 --ws', async () => {
  const { child, port, line } = await startInteropServer(['--ws']);
  assert.match(line, /\(backend: \w+, transport: ws, path \/qrpc\)/, 'the server reports the overlay serving its binding');
  try {
    assert.ok(port > 0, 'the real port is printed');
    const { code, stdout, stderr } = await runClient(['--port', String(port), '--scenario', 'all', '--ws']);
    const lines = stdout.trim().split('\n');
    assert.is(lines.at(-1), `${ALL.length} passed, 0 failed`, `${stdout}${stderr}`);
    assert.is(code, 0, stdout + stderr);
    assert.equal(lines.slice(0, -1), ALL.map((name) => `ok   ${name}`));
  } finally {
    await stop(child);
  }
});

test.run();
