// Builds the native addon during `npm install`. A failed build must not fail
// the install: the pure-TypeScript backend takes over, and the reason is
// printed once here and recorded for backend() to report.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
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

if (process.env.QRPC_SKIP_NATIVE_BUILD === '1') fail('QRPC_SKIP_NATIVE_BUILD=1');
if (process.platform !== 'linux') fail(`platform ${process.platform} has no epoll`);
if (!existsSync(join(root, 'binding.gyp'))) fail('binding.gyp missing');

rmSync(reasonFile, { force: true });
const gyp = process.env.npm_config_node_gyp;
const cmd = gyp ? process.execPath : 'node-gyp';
const args = gyp ? [gyp, 'rebuild'] : ['rebuild'];
const result = spawnSync(cmd, args, { cwd: root, stdio: ['ignore', 'inherit', 'inherit'], shell: !gyp });
if (result.error) fail(`node-gyp could not start: ${result.error.message}`);
if (result.status !== 0) fail(`node-gyp exited with status ${result.status}`);
