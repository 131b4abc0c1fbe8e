// The CLI as it ships: src/cli/main.ts and every module it loads, bundled by esbuild into dist/cli/, one chunk
// per command so that a command loads only its own code (src/cli/commands/index.ts imports each lazily).
// Node's ESM loader resolves and compiles each file on its own: the ~140 files of wxlog and zod cost query,
// search and status more start-up than their work (BENCHMARKS.md, start-up). Packages with native code or
// that read files beside their own are left to node_modules.
import { build } from 'esbuild';
import { readFileSync, rmSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  dependencies: Record<string, string>;
};
// Bundled: zod (most of the start-up), p-queue and its small dependencies. Everything else stays a package.
const BUNDLED = new Set(['zod', 'p-queue', 'eventemitter3', 'p-timeout']);
const external = Object.keys(pkg.dependencies).filter((name) => !BUNDLED.has(name));

rmSync(new URL('../dist', import.meta.url), { recursive: true, force: true });
await build({
  entryPoints: { main: 'src/cli/main.ts' },
  outdir: 'dist/cli',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // Every chunk sits in dist/cli/, two levels below the package root like the sources in src/*/: the paths the
  // code builds from import.meta.url (package.json, migrations/) are the same from src/ and from dist/.
  chunkNames: '[name]-[hash]',
  external,
  sourcemap: true,
  logLevel: 'warning',
});
