// The install step (`npm install` runs it; `--ignore-scripts` skips it, and
// then the prebuild, if one fits, is all there is). In order: a prebuild
// from prebuilds/ that loads here is used as it is; otherwise the addon is
// compiled from source with node-gyp; if that cannot happen the install
// still succeeds and the pure-TypeScript backend takes over, the reason
// printed once here and recorded for backend() to report.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const reasonFile = join(root, 'build', 'addon-build-error.txt');

function fail(reason) {
  mkdirSync(dirname(reasonFile), { recursive: true });
  writeFileSync(reasonFile, reason + '\n');
  console.warn(`qrpc-node: native addon not built (${reason}); the pure-TypeScript backend will be used.`);
  process.exit(0);
}

/** True when a prebuild fits this platform and actually loads (tried in a child: a bad binary must not take the install down). */
function prebuildLoads() {
  let loader;
  try {
    loader = createRequire(import.meta.url).resolve('node-gyp-build');
  } catch {
    return false;
  }
  const probe = spawnSync(process.execPath, ['-e', 'require(process.argv[1])(process.argv[2])', loader, root], {
    env: { ...process.env, PREBUILDS_ONLY: '1' },
    stdio: 'ignore',
  });
  return probe.status === 0;
}

// npm's own switch (`npm install --build-from-source`) skips the prebuild, as node-gyp-build does.
if (process.env.npm_config_build_from_source !== 'true' && prebuildLoads()) {
  rmSync(reasonFile, { force: true });
  process.exit(0);
}
if (process.env.QRPC_SKIP_NATIVE_BUILD === '1') fail('QRPC_SKIP_NATIVE_BUILD=1');
if (process.platform !== 'linux') fail(`platform ${process.platform} has no epoll`);
if (!existsSync(join(root, 'binding.gyp'))) fail('binding.gyp missing');

rmSync(reasonFile, { force: true });
const gyp = process.env.npm_config_node_gyp;
const cmd = gyp ? process.execPath : 'node-gyp';
const args = gyp ? [gyp, 'rebuild'] : ['rebuild'];
// All cores: the six sources compile independently.
const env = { JOBS: 'max', ...process.env };
const result = spawnSync(cmd, args, { cwd: root, env, stdio: ['ignore', 'inherit', 'inherit'], shell: !gyp });
if (result.error) fail(`node-gyp could not start: ${result.error.message}`);
if (result.status !== 0) fail(`node-gyp exited with status ${result.status}`);
