// The installed tarball from the three kinds of project people have: an ES
// module, a CommonJS require('qrpc-node'), and TypeScript checked with
// `tsc --strict` (this repository's TypeScript) against both typings. Each
// runs a server and a client from the package.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { installedProject, packedTarball, removeProject, repoRoot, runIn } from './_tarball.mjs';

const { tarball } = await packedTarball();
const project = installedProject(tarball);

// The same round trip in every flavour: a server echoing with a prefix, a client call, then both closed; prints one JSON line.
const body = (indent) =>
  `
const mux = new ServeMux();
mux.handle(7, (w, req) => w.reply(req.requestId, 8, Buffer.concat([Buffer.from('echo:'), req.payload])));
const server = new Server([{ addr: '127.0.0.1:0', handler: mux }], { logger: silentLogger });
await server.listen();
const conn = await connect('127.0.0.1:' + server.address(0).port, { logger: silentLogger });
const reply = await conn.call(7, 'hi');
const failure = await conn.call(0x123456, 'x').then(() => null, (err: { code?: string }) => err.code);
await conn.close();
await server.shutdown({ timeoutMs: 1000 });
console.log(JSON.stringify({ cmd: reply.cmd, payload: reply.payload.toString(), failure, backend: backend().name, isQrpcError: new QrpcError('ERR_TIMEOUT', 'x') instanceof Error }));
`.replace(/^/gm, indent);
const untyped = (code) => code.replace(/\(err: \{ code\?: string \}\)/g, '(err)');

function expectRoundTrip(result) {
  assert.is(result.status, 0, result.stderr);
  const out = JSON.parse(result.stdout.trim().split('\n').pop());
  assert.equal(out, { cmd: 8, payload: 'echo:hi', failure: 'ERR_STREAM_RESET', backend: 'native', isQrpcError: true });
}

test.after(() => removeProject(project.dir));

test('an ES module project imports qrpc-node and runs a server and a client', () => {
  writeFileSync(join(project.dir, 'esm.mjs'), `import { Server, ServeMux, connect, backend, silentLogger, QrpcError } from 'qrpc-node';\n${untyped(body(''))}`);
  expectRoundTrip(runIn(project.dir, 'esm.mjs'));
});

test('a CommonJS project requires qrpc-node (the dist/cjs build) and runs a server and a client', () => {
  writeFileSync(
    join(project.dir, 'cjs.cjs'),
    `const { Server, ServeMux, connect, backend, silentLogger, QrpcError } = require('qrpc-node');\nconst resolved = require.resolve('qrpc-node');\nif (!resolved.includes('/dist/cjs/')) throw new Error('required ' + resolved);\n(async () => {\n${untyped(body('  '))}\n})().catch((err) => { console.error(err); process.exit(1); });\n`,
  );
  expectRoundTrip(runIn(project.dir, 'cjs.cjs'));
});

test('TypeScript with tsc --strict: an ESM file and a CommonJS (.cts) file type-check against the package and run', () => {
  writeFileSync(join(project.dir, 'app.mts'), `import { Server, ServeMux, connect, backend, silentLogger, QrpcError, type RequestFrame } from 'qrpc-node';\nconst typed: (req: RequestFrame) => bigint = (req) => req.requestId;\nvoid typed;\n${body('')}`);
  writeFileSync(
    join(project.dir, 'app.cts'),
    `import { Server, ServeMux, connect, backend, silentLogger, QrpcError, type Connection } from 'qrpc-node';\nconst typed: (c: Connection) => boolean = (c) => c.isClosed;\nvoid typed;\n(async () => {\n${body('  ')}\n})().catch((err) => { console.error(err); process.exit(1); });\n`,
  );
  writeFileSync(
    join(project.dir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: { strict: true, module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', outDir: 'out', typeRoots: [join(repoRoot, 'node_modules', '@types')], types: ['node'] },
      files: ['app.mts', 'app.cts'],
    }),
  );
  const tsc = spawnSync(process.execPath, [join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', project.dir, '--strict'], { encoding: 'utf8' });
  assert.is(tsc.status, 0, tsc.stdout + tsc.stderr);
  expectRoundTrip(runIn(project.dir, 'out/app.mjs'));
  expectRoundTrip(runIn(project.dir, 'out/app.cjs'));
});

test('the shipped example runs from the installed package (it imports qrpc-node by name)', () => {
  const result = runIn(project.dir, 'node_modules/qrpc-node/examples/demo.mjs');
  assert.is(result.status, 0, result.stderr);
  assert.match(result.stdout, /^backend: native/m);
  assert.match(result.stdout, /^done$/m);
});

test('a type error against the package is reported by tsc (the typings are really checked)', () => {
  writeFileSync(join(project.dir, 'bad.mts'), `import { connect } from 'qrpc-node';\nconst n: number = connect;\nvoid n;\n`);
  writeFileSync(join(project.dir, 'bad.cts'), `import { connect } from 'qrpc-node';\nconst n: number = connect;\nvoid n;\n`);
  writeFileSync(join(project.dir, 'tsconfig.bad.json'), JSON.stringify({ extends: './tsconfig.json', compilerOptions: { noEmit: true }, files: ['bad.mts', 'bad.cts'] }));
  const tsc = spawnSync(process.execPath, [join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(project.dir, 'tsconfig.bad.json')], { encoding: 'utf8' });
  assert.is.not(tsc.status, 0);
  assert.match(tsc.stdout, /bad\.mts\(2,7\): error TS2322/);
  assert.match(tsc.stdout, /bad\.cts\(2,7\): error TS2322/);
});

test.run();
