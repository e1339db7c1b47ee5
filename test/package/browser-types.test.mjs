// qrpc-node/browser's typings in a browser TypeScript project (issue 9): the
// installed tarball, resolved through the package's exports map
// (moduleResolution "bundler", the "types" condition of "./browser"), with no
// Node types at all ("types": [], lib ES2022 + DOM) and skipLibCheck off, so
// every declaration file the entry reaches is checked and a `node:` import in
// any of them is an error, not a silent `any`. The consumer uses connect, call,
// request, onPush, a handler, the Connection's events and the payload types
// (Uint8Array in, Uint8Array out, strings in).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { installedProject, packedTarball, removeProject, repoRoot } from './_tarball.mjs';

const { tarball } = await packedTarball();
const project = installedProject(tarball);
const tscBin = join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc');

const CONSUMER = `
import { connect, ServeMux, Flags, QrpcError, type BrowserClientOptions, type Connection, type Frame, type Handler, type PayloadInput, type RequestFrame, type Response } from 'qrpc-node/browser';

// A handler for the server's calls to the page: payloads are Uint8Arrays, answers bytes or strings.
const echo: Handler = (w, req: RequestFrame) => {
  const body: Uint8Array = req.payload;
  return w.reply(req.requestId, req.cmd, body);
};
const handler = new ServeMux();
handler.handle(4, echo);
handler.handle(5, (w, req) => w.reply(req.requestId, 5, 'from the page: ' + new TextDecoder().decode(req.payload)));
handler.handleCall(6, (req) => req.payload.subarray(1));

const seen: string[] = [];
const options: BrowserClientOptions = {
  handler,
  onPush: (frame: Frame) => seen.push(new TextDecoder().decode(frame.payload)),
  reconnect: { backoffMs: 1000 },
  whileDisconnected: 'wait',
  highWaterMark: 64 * 1024,
  onDisconnect: (_conn, error) => console.warn(error?.code),
};

export async function run(url: string): Promise<number> {
  const conn: Connection = await connect(url, options);
  const onPush = (frame: Frame) => seen.push(String(frame.cmd));
  conn.on('push', onPush);
  conn.once('disconnect', (error: QrpcError | null) => console.warn(error?.message));
  conn.addListener('connect', () => seen.push('connect'));
  const listening: number = conn.listenerCount('push');
  conn.off('push', onPush);
  conn.removeListener('push', onPush);

  const bytes: PayloadInput = new Uint8Array([1, 2, 3]);
  const reply: Frame = await conn.call(1, bytes, { signal: AbortSignal.timeout(5000) });
  const out: Uint8Array = reply.payload;
  const text: Frame = await conn.call(2, 'a string goes in as UTF-8');
  const { requestId, response } = conn.request(3, Flags.NB, 'hi');
  const answer: Response = response;
  const first: Frame = await answer.frame();
  const pushed: { requestId: bigint; response: null } = conn.request(8, Flags.Push, new Uint8Array(0));
  const { writer, response: streamed } = conn.streamRequest(9, 0, new Uint8Array([1]));
  await writer.end('last');
  for await (const f of streamed.frames()) seen.push(String(f.flags & Flags.StreamEnd));
  await conn.close();
  return out.byteLength + text.payload.length + first.payload.byteLength + Number(requestId) + Number(pushed.requestId) + listening;
}
`;

const COMPILER_OPTIONS = {
  strict: true,
  noEmit: true,
  target: 'ES2022',
  lib: ['ES2022', 'DOM'],
  module: 'ESNext',
  moduleResolution: 'bundler',
  types: [],
  skipLibCheck: false,
};

function tsc(config, ...extra) {
  writeFileSync(join(project.dir, config.name), JSON.stringify({ compilerOptions: COMPILER_OPTIONS, files: config.files }));
  const r = spawnSync(process.execPath, [tscBin, '-p', join(project.dir, config.name), ...extra], { encoding: 'utf8', cwd: project.dir });
  return { status: r.status, out: r.stdout + r.stderr };
}

/** The declaration files the package's "./browser" types entry reaches (relative imports followed), as absolute paths. */
function browserDeclarations() {
  const pkg = join(project.dir, 'node_modules', 'qrpc-node');
  const entry = JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8')).exports['./browser'].types;
  const seen = new Set();
  const stack = [resolve(pkg, entry)];
  while (stack.length) {
    const file = stack.pop();
    if (seen.has(file)) continue;
    assert.ok(existsSync(file), `${relative(pkg, file)} is imported by the browser typings but not in the package`);
    seen.add(file);
    for (const m of readFileSync(file, 'utf8').matchAll(/(?:from|import\()\s*['"](\.[^'"]+)['"]/g)) stack.push(resolve(dirname(file), m[1].replace(/\.js$/, '.d.ts')));
  }
  return [...seen];
}

test.after(() => removeProject(project.dir));

test('a browser TypeScript project (no @types/node, lib DOM, bundler resolution, skipLibCheck off) compiles against qrpc-node/browser with zero errors', () => {
  writeFileSync(join(project.dir, 'page.ts'), CONSUMER);
  const r = tsc({ name: 'tsconfig.page.json', files: ['page.ts'] });
  assert.is(r.status, 0, r.out);
  assert.is(r.out.trim(), '');
});

test('no Node types are in that program: no file of @types/node is loaded, and the browser typings name no node: module, NodeJS namespace or Node reference', () => {
  const r = tsc({ name: 'tsconfig.page.json', files: ['page.ts'] }, '--listFilesOnly');
  assert.is(r.status, 0, r.out);
  const files = r.out.split('\n').filter(Boolean);
  assert.ok(files.some((f) => f.includes('/node_modules/qrpc-node/')), `the package's typings are in the program:\n${r.out}`);
  assert.equal(files.filter((f) => f.includes('@types/node')), []);
  const declarations = browserDeclarations();
  assert.ok(declarations.length > 5, `followed ${declarations.length} files`);
  const nodeish = [];
  for (const file of declarations) {
    readFileSync(file, 'utf8').split('\n').forEach((line, i) => {
      if (/['"]node:|\bNodeJS\.|reference\s+types=["']node["']/.test(line) && !/^\s*(\*|\/\/)/.test(line)) nodeish.push(`${relative(project.dir, file)}:${i + 1}: ${line.trim()}`);
    });
  }
  assert.equal(nodeish, []);
});

test('the browser typings are really checked: a payload used as a string, or a listener of the wrong shape, is a type error', () => {
  writeFileSync(
    join(project.dir, 'bad.ts'),
    `import type { Connection, Frame } from 'qrpc-node/browser';\nexport const text = (f: Frame): string => f.payload;\nexport const listen = (c: Connection) => c.on('push', (n: number) => n);\n`,
  );
  const r = tsc({ name: 'tsconfig.bad.json', files: ['bad.ts'] });
  assert.is.not(r.status, 0);
  assert.match(r.out, /bad\.ts\(2,\d+\): error TS2322/);
  assert.match(r.out, /bad\.ts\(3,\d+\): error TS2345/);
});

test.run();
