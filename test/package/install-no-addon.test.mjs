// Install path 3: no addon at all (no prebuild fits and nothing compiled):
// the pure-TypeScript backend runs, backend() says why, and the first
// server or connection says it once at warn level through the configured
// logger (npm hides the install step's own message for dependencies).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { builtAddon, installedProject, npm, packedTarball, pathWithoutCompiler, probe, removeProject } from './_tarball.mjs';

const { tarball } = await packedTarball();
const project = installedProject(tarball, { ignoreScripts: true });
rmSync(join(project.pkg, 'prebuilds'), { recursive: true });
const reasonFile = join(project.pkg, 'build', 'addon-build-error.txt');
const NOTICE = 'qrpc: native addon not loaded; using the pure-TypeScript backend';
const onlyNode = pathWithoutCompiler();
test.after(() => {
  removeProject(project.dir);
  rmSync(onlyNode, { recursive: true, force: true });
});

function expectFallback(result, loadErrorPattern) {
  assert.is(result.backend.name, 'fallback');
  assert.is(result.backend.forced, false);
  assert.match(result.backend.loadError, loadErrorPattern);
  assert.is(result.reply, 'pong', 'the fallback serves');
  assert.equal(result.mapped, [], 'no addon loaded');
}

test('no prebuild and no install step: fallback; backend() names what is missing; one warning for two servers and a client', () => {
  const result = probe(project.dir);
  expectFallback(result, /^No native build was found for platform=linux arch=x64 /);
  assert.equal(result.warns, [{ obj: { loadError: result.backend.loadError }, msg: NOTICE }]);
  assert.is(result.stderr, '', 'a configured logger replaces stderr');
});

test('with the default logger the warning reaches stderr, once', () => {
  const result = probe(project.dir, { defaultLogger: true });
  expectFallback(result, /No native build was found/);
  assert.is(result.stderr, `qrpc warning: ${NOTICE}: ${result.backend.loadError}\n`);
});

test('QRPC_BACKEND=fallback is a choice: no warning', () => {
  const result = probe(project.dir, { defaultLogger: true, env: { QRPC_BACKEND: 'fallback' } });
  assert.is(result.backend.name, 'fallback');
  assert.is(result.backend.forced, true);
  assert.is(result.stderr, '');
});

test('QRPC_SKIP_NATIVE_BUILD=1 without a prebuild: the install step succeeds, compiles nothing, and backend() says why', () => {
  const r = npm(['rebuild', 'qrpc-node', '--foreground-scripts'], { cwd: project.dir, env: { QRPC_SKIP_NATIVE_BUILD: '1' } });
  assert.match(r.stdout + r.stderr, 'qrpc-node: native addon not built (QRPC_SKIP_NATIVE_BUILD=1); the pure-TypeScript backend will be used.');
  assert.is(readFileSync(reasonFile, 'utf8'), 'QRPC_SKIP_NATIVE_BUILD=1\n');
  assert.is(builtAddon(project.pkg), null);
  const result = probe(project.dir);
  expectFallback(result, /\(addon build failed: QRPC_SKIP_NATIVE_BUILD=1\)$/);
  assert.is(result.warns.length, 1);
});

test('no compiler on PATH: the source build fails, the install step still succeeds, and backend() says the build failed', () => {
  rmSync(join(project.pkg, 'build'), { recursive: true, force: true });
  npm(['rebuild', 'qrpc-node', '--loglevel=error'], { cwd: project.dir, pathOverride: onlyNode });
  assert.match(readFileSync(reasonFile, 'utf8'), /^node-gyp exited with status [1-9]\d*\n$/);
  assert.is(builtAddon(project.pkg), null);
  assert.not.ok(existsSync(join(project.pkg, 'build', 'Release', 'qrpc_native.node')));
  const result = probe(project.dir);
  expectFallback(result, /\(addon build failed: node-gyp exited with status [1-9]\d*\)$/);
});

test.run();
