// dist/cjs/ holds the CommonJS build: the package is "type": "module", so
// this folder needs its own package.json for node (and TypeScript) to read
// its .js and .d.ts files as CommonJS.
import { mkdirSync, writeFileSync } from 'node:fs';

const dir = new URL('../dist/cjs/', import.meta.url);
mkdirSync(dir, { recursive: true });
writeFileSync(new URL('package.json', dir), JSON.stringify({ type: 'commonjs' }) + '\n');
