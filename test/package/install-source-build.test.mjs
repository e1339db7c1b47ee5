// Install path 2: no prebuild fits (here: removed), a compiler is there. The
// install step compiles the addon from the shipped sources with node-gyp,
// and the package loads that build.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { builtAddon, installedProject, npm, packedTarball, probe, removeProject } from './_tarball.mjs';

const { tarball } = await packedTarball();
const project = installedProject(tarball, { ignoreScripts: true });
test.after(() => removeProject(project.dir));

test('prebuild removed: the install step compiles from source and the native backend loads that build', () => {
  rmSync(join(project.pkg, 'prebuilds'), { recursive: true });
  // `npm rebuild` runs the package's install step, as `npm install` would have.
  npm(['rebuild', 'qrpc-node', '--loglevel=error'], { cwd: project.dir });
  const built = builtAddon(project.pkg);
  assert.ok(built, 'build/Release/qrpc_native.node was compiled');
  assert.not.ok(existsSync(join(project.pkg, 'build', 'addon-build-error.txt')), 'no failure recorded');
  const result = probe(project.dir);
  assert.equal(result.backend, { name: 'native', loadError: null, forced: false });
  assert.is(result.reply, 'pong');
  assert.equal(result.mapped, [built], 'the source build is the addon this process loaded');
  assert.equal(result.warns, []);
});

test.run();
