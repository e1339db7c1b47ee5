// The package as npm publishes it, and fresh projects that install it.
//
// packedTarball() copies the repository (minus node_modules, build output
// and prebuilds) to a staging folder and runs `npm pack` there, so the
// package's own prepack (prebuildify) and prepare (both TypeScript builds)
// make the tarball, without touching this worktree's build/ while other
// suites load its addon. Packing compiles the addon, so the tarball is kept
// under the system temp folder, keyed by a hash of everything that goes
// into it; the package suites of one run (and later runs of the same tree)
// share it, and a lock keeps two suites from packing at once.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as delay } from 'node:timers/promises';

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const SKIPPED_AT_TOP = new Set(['.git', 'node_modules', 'build', 'dist', 'prebuilds']);
const npmCli = findNpmCli();

/** npm's own script, run with this node: a PATH without npm (the no-compiler case) still runs it. */
function findNpmCli() {
  if (process.env.npm_execpath?.endsWith('.js')) return process.env.npm_execpath;
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const candidate = join(dir, 'npm');
    if (existsSync(candidate)) {
      const real = realpathSync(candidate);
      if (real.endsWith('.js')) return real;
    }
  }
  return null;
}

/** Runs npm with the given args in cwd; throws with npm's output when it fails. */
export function npm(args, { cwd, env = {}, pathOverride } = {}) {
  const fullEnv = { ...process.env, npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false', ...env };
  if (pathOverride !== undefined) fullEnv.PATH = pathOverride;
  const [cmd, cmdArgs] = npmCli ? [process.execPath, [npmCli, ...args]] : ['npm', args];
  const r = spawnSync(cmd, cmdArgs, { cwd, env: fullEnv, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`npm ${args.join(' ')} exited ${r.status}${r.error ? ` (${r.error.message})` : ''}\n${r.stdout}\n${r.stderr}`);
  return r;
}

/** Repository files that go into staging, as paths relative to the root. */
function stagedFiles(dir = repoRoot, out = []) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    const rel = relative(repoRoot, full);
    if (dir === repoRoot && SKIPPED_AT_TOP.has(entry.name)) continue;
    if (entry.isDirectory()) stagedFiles(full, out);
    else if (entry.isFile()) out.push(rel);
  }
  return out;
}

/** Hash of what decides the tarball: every staged file outside test/ (which only has to stay out), and node's version. */
function inputHash(files) {
  const hash = createHash('sha256').update(process.version).update(process.arch);
  for (const rel of files.sort()) {
    if (rel.startsWith('test/')) continue;
    hash.update(rel).update('\0').update(readFileSync(join(repoRoot, rel))).update('\0');
  }
  return hash.digest('hex').slice(0, 16);
}

function pack(files, outDir) {
  const staging = mkdtempSync(join(tmpdir(), 'qrpc-stage-'));
  try {
    for (const rel of files) cpSync(join(repoRoot, rel), join(staging, rel), { recursive: false });
    symlinkSync(join(repoRoot, 'node_modules'), join(staging, 'node_modules'), 'dir');
    const r = npm(['pack', '--json', '--pack-destination', outDir], { cwd: staging, env: { JOBS: 'max' } });
    const [info] = JSON.parse(r.stdout.slice(r.stdout.indexOf('[')));
    writeFileSync(join(outDir, 'pack.json'), JSON.stringify({ filename: info.filename, files: info.files.map((f) => f.path) }));
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

/** Tarballs of trees nobody tested for a day go (other worktrees' recent ones may be in use). */
function pruneOldTarballs(base) {
  const dayAgo = Date.now() - 24 * 3600_000;
  for (const name of readdirSync(base)) {
    const full = join(base, name);
    if (statSync(full).mtimeMs < dayAgo) rmSync(full, { recursive: true, force: true });
  }
}

function lockHolderAlive(lock) {
  try {
    process.kill(Number(readFileSync(join(lock, 'pid'), 'utf8')), 0);
    return true;
  } catch {
    return false;
  }
}

/** { tarball, files }: the packed package (path of the .tgz) and the file list npm reported. */
export async function packedTarball() {
  const files = stagedFiles();
  const base = join(tmpdir(), 'qrpc-node-pack');
  const dir = join(base, inputHash(files));
  const lock = `${dir}.lock`;
  mkdirSync(base, { recursive: true });
  for (;;) {
    if (existsSync(join(dir, 'pack.json'))) {
      const { filename, files: packed } = JSON.parse(readFileSync(join(dir, 'pack.json'), 'utf8'));
      return { tarball: join(dir, filename), files: packed };
    }
    try {
      mkdirSync(lock);
    } catch {
      // Another suite is packing this tree: wait for its result (or take over if it died).
      if (!existsSync(join(lock, 'pid')) || lockHolderAlive(lock)) {
        await delay(250);
        continue;
      }
      rmSync(lock, { recursive: true, force: true });
      continue;
    }
    try {
      writeFileSync(join(lock, 'pid'), String(process.pid));
      const work = mkdtempSync(`${dir}.work-`);
      pack(files, work);
      renameSync(work, dir);
      pruneOldTarballs(base);
    } finally {
      rmSync(lock, { recursive: true, force: true });
    }
  }
}

/** A fresh project folder with the tarball installed; `type` is the project's module type. */
export function installedProject(tarball, { type = 'module', ignoreScripts = false, env = {} } = {}) {
  // Foreground scripts: the install step's output lands in installOutput instead of being hidden by npm.
  const dir = mkdtempSync(join(tmpdir(), 'qrpc-user-'));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'qrpc-user', version: '1.0.0', private: true, type }));
  const args = ['install', '--prefer-offline', '--no-package-lock', '--loglevel=error', '--foreground-scripts', ...(ignoreScripts ? ['--ignore-scripts'] : []), tarball];
  const result = npm(args, { cwd: dir, env });
  return { dir, pkg: join(dir, 'node_modules', 'qrpc-node'), installOutput: result.stdout + result.stderr };
}

/** Runs a file of the project with node (QRPC_BACKEND unset unless env sets it: the package picks); returns { status, stdout, stderr }. */
export function runIn(dir, file, env = {}) {
  const fullEnv = { ...process.env };
  delete fullEnv.QRPC_BACKEND;
  Object.assign(fullEnv, env);
  const r = spawnSync(process.execPath, [file], { cwd: dir, env: fullEnv, encoding: 'utf8', timeout: 30_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The package's build output folder in an installed project, or null: proves whether anything was compiled. */
export function builtAddon(pkg) {
  const file = join(pkg, 'build', 'Release', 'qrpc_native.node');
  return existsSync(file) && statSync(file).isFile() ? file : null;
}

/** A PATH holding node and sh (npm runs scripts through sh) and nothing else: no compiler, make or python. */
export function pathWithoutCompiler() {
  const dir = mkdtempSync(join(tmpdir(), 'qrpc-path-'));
  symlinkSync(process.execPath, join(dir, 'node'));
  symlinkSync('/bin/sh', join(dir, 'sh'));
  return dir;
}

export function removeProject(dir) {
  rmSync(dir, { recursive: true, force: true });
}

const PROBE = `
import { Server, connect, backend } from 'qrpc-node';
import { readFileSync } from 'node:fs';
const warns = [];
const capture = { debug() {}, info() {}, error() {}, warn(obj, msg) { warns.push({ obj, msg }); } };
const options = process.env.PROBE_LOGGER === 'default' ? {} : { logger: capture };
const handler = (w, req) => w.reply(req.requestId, 1, 'pong');
const first = new Server([{ addr: '127.0.0.1:0', handler }], options);
await first.listen();
const second = new Server([{ addr: '127.0.0.1:0', handler }], options);
await second.listen();
const conn = await connect('127.0.0.1:' + first.address(0).port, options);
const reply = (await conn.call(0, 'ping')).payload.toString();
await conn.close();
await first.shutdown({ timeoutMs: 1000 });
await second.shutdown({ timeoutMs: 1000 });
// Which addon file this process actually mapped (a prebuild or a source build), straight from the kernel.
const mapped = [...new Set(readFileSync('/proc/self/maps', 'utf8').split('\\n').map((l) => l.trim().split(/\\s+/)[5]).filter((p) => p && p.endsWith('.node')))];
console.log(JSON.stringify({ backend: backend(), reply, warns, mapped }));
`;

/**
 * Runs two servers and a client from the installed package (QRPC_BACKEND
 * unset); returns backend(), the reply, the warnings the configured logger
 * got (`defaultLogger`: none configured), the addon files mapped, and stderr.
 */
export function probe(dir, { defaultLogger = false, env = {} } = {}) {
  writeFileSync(join(dir, 'probe.mjs'), PROBE);
  const r = runIn(dir, 'probe.mjs', { ...env, PROBE_LOGGER: defaultLogger ? 'default' : 'capture' });
  if (r.status !== 0) throw new Error(`probe exited ${r.status}: ${r.stderr}`);
  return { ...JSON.parse(r.stdout.trim().split('\n').pop()), stderr: r.stderr };
}
