// The CLI as it ships: src/cli/main.ts and every module it loads, bundled by esbuild into dist/cli/, one chunk
// per command so that a command loads only its own code (src/cli/commands/index.ts imports each lazily).
// Node's ESM loader resolves and compiles each file on its own: the ~140 files of wxlog and zod cost query,
// search and status more start-up than their work (BENCHMARKS.md, start-up). Packages with native code or
// that read files beside their own are left to node_modules.
import { build, type Plugin } from 'esbuild';
import { readFileSync, rmSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  dependencies: Record<string, string>;
};
// Bundled: zod (most of the start-up), p-queue and its small dependencies, and the PostgreSQL driver (pg,
// pg-cursor and theirs: plain JavaScript). Everything else stays a package, as do pg's optional native and
// Cloudflare bindings, which it requires only when asked for them.
const BUNDLED = new Set(['zod', 'p-queue', 'eventemitter3', 'p-timeout', 'pg', 'pg-cursor']);
const external = [...Object.keys(pkg.dependencies).filter((name) => !BUNDLED.has(name)), 'pg-native', 'pg-cloudflare'];

// pg asks at load time whether it runs in a Cloudflare Worker by making a fetch `Response`, which on Node 20
// loads Node's whole fetch implementation: 35 ms of every PostgreSQL command's start, for a runtime wxlog
// never runs in. The test is answered "no" in the bundle; the build fails if pg no longer has it.
const CLOUDFLARE_TEST = "if (typeof Response === 'function') {";
const notCloudflare: Plugin = {
  name: 'pg-not-cloudflare',
  setup(b) {
    b.onLoad({ filter: /[\\/]node_modules[\\/]pg[\\/]lib[\\/]stream\.js$/ }, (args) => {
      const source = readFileSync(args.path, 'utf8');
      if (!source.includes(CLOUDFLARE_TEST))
        throw new Error(`${args.path}: pg's Cloudflare test has changed; see scripts/bundle.ts`);
      return { contents: source.replace(CLOUDFLARE_TEST, 'if (false) {'), loader: 'js' };
    });
  },
};

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
  plugins: [notCloudflare],
  // pg is CommonJS: its require() of Node's modules needs a require in each ES module chunk.
  banner: {
    js: "import { createRequire as wxlogCreateRequire } from 'node:module';\nconst require = wxlogCreateRequire(import.meta.url);",
  },
  sourcemap: true,
  logLevel: 'warning',
});
