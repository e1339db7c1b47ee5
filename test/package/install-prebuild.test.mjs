// Install path 1: the prebuild. A tarball install gets the native backend
// from prebuilds/linux-x64/ with nothing compiled, with install scripts
// (the install step sees the prebuild load and stops) and without them
// (--ignore-scripts: node-gyp-build finds it at load time).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { builtAddon, installedProject, npm, packedTarball, pathWithoutCompiler, probe, removeProject } from './_tarball.mjs';

const { tarball } = await packedTarball();
const projects = [];
test.after(() => projects.forEach((p) => removeProject(p.dir)));

function expectPrebuildInUse(project, result) {
  const prebuild = join(project.pkg, 'prebuilds', 'linux-x64', 'qrpc-node.glibc.node');
  assert.equal(result.backend, { name: 'native', loadError: null, forced: false });
  assert.is(result.reply, 'pong');
  assert.equal(result.mapped, [prebuild], 'the prebuild is the addon this process loaded');
  assert.is(builtAddon(project.pkg), null, 'nothing was compiled');
  assert.equal(result.warns, [], 'no fallback warning');
}

test('--ignore-scripts: no install step ran, still native, from the prebuild', () => {
  const project = installedProject(tarball, { ignoreScripts: true });
  projects.push(project);
  assert.not.ok(existsSync(join(project.pkg, 'build')), 'no build folder at all');
  expectPrebuildInUse(project, probe(project.dir));
});

test('with install scripts: the install step uses the prebuild and compiles nothing', () => {
  const project = installedProject(tarball);
  projects.push(project);
  assert.not.match(project.installOutput, /gyp info|CXX|native addon not built/, 'the install step compiled nothing and reported nothing');
  expectPrebuildInUse(project, probe(project.dir));
});

test('QRPC_SKIP_NATIVE_BUILD=1 skips compiling only: a fitting prebuild is still used', () => {
  const project = projects[1];
  npm(['rebuild', 'qrpc-node', '--loglevel=error'], { cwd: project.dir, env: { QRPC_SKIP_NATIVE_BUILD: '1' } });
  assert.not.ok(existsSync(join(project.pkg, 'build', 'addon-build-error.txt')), 'no failure recorded');
  expectPrebuildInUse(project, probe(project.dir));
});

test('--build-from-source makes the install step compile even though a prebuild fits (here it cannot: no compiler), and the prebuild still serves', () => {
  const project = projects[1];
  const onlyNode = pathWithoutCompiler();
  try {
    npm(['rebuild', 'qrpc-node', '--loglevel=error'], { cwd: project.dir, pathOverride: onlyNode, env: { npm_config_build_from_source: 'true' } });
  } finally {
    rmSync(onlyNode, { recursive: true, force: true });
  }
  assert.match(readFileSync(join(project.pkg, 'build', 'addon-build-error.txt'), 'utf8'), /^node-gyp exited with status [1-9]/, 'a source build was attempted');
  const result = probe(project.dir);
  assert.equal(result.mapped, [join(project.pkg, 'prebuilds', 'linux-x64', 'qrpc-node.glibc.node')]);
  assert.equal(result.backend, { name: 'native', loadError: null, forced: false }, 'a recorded build failure is no load error while an addon loads');
});

test.run();
