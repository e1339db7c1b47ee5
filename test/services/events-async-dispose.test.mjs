// Symbol.asyncDispose on Connection and Server: called directly, and through `await using` compiled by
// the project's TypeScript for Node 20 (whose V8 has no `using` syntax yet: tsc lowers it, Node 20 has the symbol).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect } from '../../dist/index.js';
import { startServer, helloMux } from '../helpers.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

test('Node 20 has Symbol.asyncDispose', () => {
  assert.is(typeof Symbol.asyncDispose, 'symbol');
});

test('[Symbol.asyncDispose]() closes a Connection and shuts a Server down', async () => {
  const { server, addr } = await startServer(helloMux());
  const conn = await connect(addr);
  await conn[Symbol.asyncDispose]();
  assert.ok(conn.isClosed);
  await server[Symbol.asyncDispose]();
  assert.is(server.health().state, 'closed');
});

test('`await using` in TypeScript (tsc 5.6, target ES2022) closes both at the end of the scope', () => {
  const dir = mkdtempSync(join(tmpdir(), 'qrpc-using-'));
  try {
    const lib = relative(dir, join(root, 'dist', 'index.js')).split('\\').join('/');
    writeFileSync(
      join(dir, 'main.ts'),
      `import { Server, ServeMux, connect, type Connection } from '${lib.startsWith('.') ? lib : './' + lib}';
const mux = new ServeMux();
mux.handle(0, (w, req) => w.reply(req.requestId, 1, 'hi ' + req.payload));
let kept: Connection | null = null;
let server: Server | null = null;
{
  await using s = await new Server([{ addr: '127.0.0.1:0', handler: mux }]).listen();
  await using conn = await connect('127.0.0.1:' + s.address(0).port);
  kept = conn;
  server = s;
  console.log((await conn.call(0, 'there')).payload.toString());
}
console.log(kept!.isClosed, server!.health().state);
`,
    );
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', lib: ['ES2022', 'ESNext.Disposable'], strict: true, skipLibCheck: true, types: ['node'], typeRoots: [join(root, 'node_modules', '@types')] }, files: ['main.ts'] }),
    );
    writeFileSync(join(dir, 'package.json'), '{"type":"module"}');
    const tsc = spawnSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', dir], { encoding: 'utf8' });
    assert.is(tsc.status, 0, tsc.stdout + tsc.stderr);
    const run = spawnSync(process.execPath, [join(dir, 'main.js')], { encoding: 'utf8', timeout: 20_000 });
    assert.is(run.stderr, '');
    assert.is(run.stdout, 'hi there\ntrue closed\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
