// Bundles the browser client (src/browser/index.ts) into dist/browser/qrpc.js:
// ESM, minified, no node: imports. The core's Node built-ins are mapped to
// browser modules: node:buffer → the `buffer` package, node:events → the
// `events` package, node:perf_hooks → the page's performance, node:worker_threads →
// a no-op markAsUntransferable, Node's timer globals → timers with unref/refresh.
// Any other node: import fails the build, so the bundle can never need Node.
import { build } from 'esbuild';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const shims = join(root, 'src', 'browser', 'shims');
// A package name: a well-kept npm package with the same API ('buffer', 'events'); a path: our own shim.
const MAPPED = { 'node:buffer': 'buffer/', 'node:events': 'events/', 'node:worker_threads': join(shims, 'worker-threads.ts'), 'node:perf_hooks': join(shims, 'perf-hooks.ts') };

const nodeBuiltins = {
  name: 'node-builtins',
  setup(b) {
    b.onResolve({ filter: /^node:/ }, async (args) => {
      if (!(args.path in MAPPED)) return { errors: [{ text: `${args.path} (imported by ${args.importer}) has no browser mapping: the browser build must not need it` }] };
      const target = MAPPED[args.path];
      if (target.startsWith('/')) return { path: target };
      return b.resolve(target, { kind: args.kind, resolveDir: root });
    });
  },
};

const result = await build({
  entryPoints: [join(root, 'src', 'browser', 'index.ts')],
  outfile: join(root, 'dist', 'browser', 'qrpc.js'),
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: ['es2020'],
  minify: true,
  sourcemap: true,
  legalComments: 'none',
  inject: [join(shims, 'timers.ts')],
  plugins: [nodeBuiltins],
  metafile: true,
  logLevel: 'warning',
});
const out = Object.entries(result.metafile.outputs).find(([file]) => file.endsWith('qrpc.js'));
console.log(`browser build: dist/browser/qrpc.js ${out[1].bytes} bytes minified`);
