// Emits the browser entry's declaration tree (dist/browser/types/: emptied,
// then `tsc -p tsconfig.browser-types.json`, declarations of src/browser/index.ts
// and what it imports) and makes it Node-free, so a page's TypeScript
// project compiles against it without @types/node.
//
// The sources are the Node client's, so the emitted .d.ts files import
// node:buffer, node:events, node:tls, node:zlib and node:http, and name the
// globals Buffer, NodeJS.Timeout and Symbol.asyncDispose. This step:
//   1. writes dist/browser/types/_node/*.d.ts: for each of those modules the
//      narrow shape the declarations reference (NODE_SHIMS below);
//   2. rewrites every `'node:X'` specifier to the relative path of its shim,
//      and gives a file that names the global Buffer (or NodeJS.Timeout) a
//      type import from the shim instead (Symbol.asyncDispose: a reference to
//      the shim declaring it, as @types/node does);
//   3. writes dist/browser/types/index.d.ts (the "./browser" types entry);
//   4. fails the build on a node: module without a shim, or on anything
//      Node-shaped left (a node: specifier, NodeJS., a reference to types "node").
// Only declarations change: the bundle (scripts/build-browser.mjs) and the
// Node builds are untouched. test/package/browser-types.test.mjs compiles a
// page against the packed tarball with "types": [] and skipLibCheck off.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const tree = join(root, 'dist', 'browser', 'types');
const shimDir = join(tree, '_node');

/**
 * What a page has in place of each Node module, as the declarations use it.
 * Payloads are Buffers of the `buffer` package at run time, which are
 * Uint8Arrays; typed as Uint8Array, that is all a page can rely on (and every
 * payload input already takes a Uint8Array or a string). The EventEmitter is
 * the `events` package's at run time: these are its methods, typed by the
 * event map as @types/node types Node's. TLS, zlib and http appear only in
 * Node-side options a page cannot set (tls, the ws overlay's server options,
 * deflateRawCodec's zlib options, none exported by qrpc-node/browser): opaque
 * records. Timeout is the browser build's timer shim (src/browser/shims/timers.ts).
 */
const NODE_SHIMS = {
  buffer: `/** A payload: at run time a Buffer of the \`buffer\` package, which is a Uint8Array. */
export type Buffer = Uint8Array;
`,
  events: `type Listener<A> = A extends unknown[] ? (...args: A) => void : never;
/** The EventEmitter of a page (the \`events\` package at run time), typed by an event map. */
export declare class EventEmitter<T extends Record<keyof T, unknown[]> = Record<string, unknown[]>> {
    on<K extends keyof T>(event: K, listener: Listener<T[K]>): this;
    addListener<K extends keyof T>(event: K, listener: Listener<T[K]>): this;
    prependListener<K extends keyof T>(event: K, listener: Listener<T[K]>): this;
    once<K extends keyof T>(event: K, listener: Listener<T[K]>): this;
    prependOnceListener<K extends keyof T>(event: K, listener: Listener<T[K]>): this;
    off<K extends keyof T>(event: K, listener: Listener<T[K]>): this;
    removeListener<K extends keyof T>(event: K, listener: Listener<T[K]>): this;
    removeAllListeners(event?: keyof T): this;
    emit<K extends keyof T>(event: K, ...args: T[K]): boolean;
    listenerCount(event: keyof T): number;
    listeners<K extends keyof T>(event: K): Listener<T[K]>[];
    rawListeners<K extends keyof T>(event: K): Listener<T[K]>[];
    eventNames(): (keyof T)[];
    setMaxListeners(n: number): this;
    getMaxListeners(): number;
}
`,
  tls: `/** Node-side TLS options: a page has none (the browser does TLS). */
export type TlsOptions = Readonly<Record<string, unknown>>;
export type ConnectionOptions = Readonly<Record<string, unknown>>;
/** A peer certificate: a page never sees one (Connection.tls is null in a page). */
export type PeerCertificate = Readonly<Record<string, unknown>>;
`,
  zlib: `/** deflateRawCodec's options (Node only; not exported by qrpc-node/browser). */
declare namespace zlib {
    type ZlibOptions = Readonly<Record<string, unknown>>;
}
export default zlib;
`,
  http: `/** The upgrade request a ws server binding sees (Node only). */
export type IncomingMessage = Readonly<Record<string, unknown>>;
`,
  // Not a module: the global @types/node adds (as lib esnext.disposable does) for \`[Symbol.asyncDispose]()\`; a page
  // whose browser lacks Symbol.asyncDispose has no \`await using\`, and close() is the same call.
  disposable: `export {};
declare global {
    interface SymbolConstructor {
        readonly asyncDispose: unique symbol;
    }
}
`,
  timers: `/** A timer of the browser build (src/browser/shims/timers.ts): Node's timer methods, doing what a page can. */
export interface Timeout {
    ref(): this;
    unref(): this;
    hasRef(): boolean;
    refresh(): this;
}
`,
};

/** Globals of @types/node the declarations name without importing: rewritten to a type import of a shim. */
const GLOBALS = [
  { pattern: /\bNodeJS\.Timeout\b/g, name: 'Timeout', module: 'timers' },
  { pattern: /(?<![.\w$])Buffer\b/g, name: 'Buffer', module: 'buffer' },
];

const NODEISH = /['"]node:|\bNodeJS\.|reference\s+types\s*=\s*["']node["']/;

function declarationFiles(dir, out = []) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (full !== shimDir) declarationFiles(full, out);
    } else if (entry.name.endsWith('.d.ts') && full !== join(tree, 'index.d.ts')) out.push(full);
  }
  return out;
}

/** The specifier of a shim from a file of the tree. */
function shimPath(file, module) {
  const rel = relative(dirname(file), join(shimDir, `${module}.js`));
  return rel.startsWith('.') ? rel : `./${rel}`;
}

/** Code lines only: the emitted comments (JSDoc) mention Buffer and node: modules in prose, which stays. */
const isComment = (line) => /^\s*(\/\*\*?|\*|\/\/)/.test(line);

function rewrite(file) {
  const lines = readFileSync(file, 'utf8').split('\n');
  const problems = [];
  const imported = new Set();
  const needed = new Map();
  for (let i = 0; i < lines.length; i++) {
    if (isComment(lines[i])) continue;
    const named = lines[i].match(/^import\s+(?:type\s+)?\{([^}]*)\}/);
    if (named) for (const part of named[1].split(',')) imported.add(part.trim().split(/\s+as\s+/).pop());
    lines[i] = lines[i].replace(/(['"])node:([\w/]+)\1/g, (whole, quote, module) => {
      if (!(module in NODE_SHIMS)) {
        problems.push(`${relative(root, file)}:${i + 1}: node:${module} has no browser declaration shim (scripts/browser-types.mjs)`);
        return whole;
      }
      return `${quote}${shimPath(file, module)}${quote}`;
    });
    if (/^import\s/.test(lines[i])) continue;
    for (const g of GLOBALS) {
      if (!g.pattern.test(lines[i])) continue;
      lines[i] = lines[i].replace(g.pattern, g.name);
      needed.set(g.name, g.module);
    }
  }
  const header = [...needed].filter(([name]) => !imported.has(name)).map(([name, module]) => `import type { ${name} } from '${shimPath(file, module)}';`);
  if (lines.some((line) => !isComment(line) && line.includes('Symbol.asyncDispose')) && !lines.some((line) => line.includes('_node/disposable.d.ts'))) {
    header.unshift(`/// <reference path="${shimPath(file, 'disposable').replace(/\.js$/, '.d.ts')}" />`);
  }
  const text = [...header, ...lines].join('\n');
  text.split('\n').forEach((line, i) => {
    if (!isComment(line) && NODEISH.test(line)) problems.push(`${relative(root, file)}:${i + 1}: still Node-shaped: ${line.trim()}`);
  });
  writeFileSync(file, text);
  return problems;
}

rmSync(tree, { recursive: true, force: true });
const tsc = spawnSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(root, 'tsconfig.browser-types.json')], { stdio: 'inherit' });
if (tsc.status !== 0) process.exit(tsc.status ?? 1);
mkdirSync(shimDir, { recursive: true });
for (const [module, text] of Object.entries(NODE_SHIMS)) {
  writeFileSync(join(shimDir, `${module}.d.ts`), `// Written by scripts/browser-types.mjs: node:${module} as the browser build's declarations use it.\n${text}`);
}
const problems = declarationFiles(tree).flatMap(rewrite);
writeFileSync(join(tree, 'index.d.ts'), `// qrpc-node/browser, Node-free declarations (scripts/browser-types.mjs).\nexport * from './browser/index.js';\n`);
if (problems.length) {
  console.error(`browser types: ${problems.length} problem(s)\n${problems.join('\n')}`);
  process.exit(1);
}
console.log(`browser types: dist/browser/types/ (${declarationFiles(tree).length} files, Node-free)`);
