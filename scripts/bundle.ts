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

// pg's source, changed where its load costs every PostgreSQL command time for something wxlog does not use; the
// build fails if a text to change is no longer there (pg changed: look again).
interface Patch {
  file: RegExp;
  from: string;
  to: string;
}

// A `const name = require(path)` that loads the module when first used, not when pg loads.
function lazyRequire(name: string, path: string): Patch['to'] {
  return `let wxlogLoaded_${name}; const ${name} = new Proxy({}, { get: (_, key) => (wxlogLoaded_${name} ??= require('${path}'))[key] })`;
}

const pgFile = (path: string): RegExp =>
  new RegExp(`[\\\\/]node_modules[\\\\/]pg[\\\\/]lib[\\\\/]${path.replace('/', '[\\\\/]')}\\.js$`);
const PATCHES: Patch[] = [
  // pg asks whether it runs in a Cloudflare Worker by making a fetch `Response`, which on Node 20 loads Node's
  // whole fetch implementation: 35 ms, for a runtime wxlog never runs in. The test is answered "no".
  { file: pgFile('stream'), from: "if (typeof Response === 'function') {", to: 'if (false) {' },
  // Node's crypto and its WebCrypto (~3 ms) serve password authentication only: loaded when a server asks
  // for a password, not by a connection the server trusts.
  {
    file: pgFile('client'),
    from: "const crypto = require('./crypto/utils')",
    to: lazyRequire('crypto', './crypto/utils'),
  },
  { file: pgFile('crypto/sasl'), from: "const crypto = require('./utils')", to: lazyRequire('crypto', './utils') },
  // dns serves pg-native's connection string only (~1 ms, c-ares set up).
  { file: pgFile('connection-parameters'), from: "const dns = require('dns')", to: lazyRequire('dns', 'dns') },
];

const applied = new Set<Patch>();
const patchPg: Plugin = {
  name: 'pg-patches',
  setup(b) {
    b.onLoad({ filter: /[\\/]node_modules[\\/]pg[\\/]lib[\\/].*\.js$/ }, (args) => {
      const patches = PATCHES.filter((p) => p.file.test(args.path));
      if (patches.length === 0) return undefined;
      let source = readFileSync(args.path, 'utf8');
      for (const patch of patches) {
        if (!source.includes(patch.from))
          throw new Error(`${args.path}: no longer holds \`${patch.from}\`; see scripts/bundle.ts`);
        source = source.replace(patch.from, patch.to);
        applied.add(patch);
      }
      return { contents: source, loader: 'js' };
    });
  },
};

rmSync(new URL('../dist', import.meta.url), { recursive: true, force: true });
const result = await build({
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
  plugins: [patchPg],
  // pg is CommonJS: its require() of Node's modules needs a require in each ES module chunk.
  banner: {
    js: "import { createRequire as wxlogCreateRequire } from 'node:module';\nconst require = wxlogCreateRequire(import.meta.url);",
  },
  sourcemap: true,
  metafile: true,
  logLevel: 'warning',
});

// zod's `z` (`import { z } from 'zod'`) is a namespace object holding every locale's messages, which the bundle
// cannot leave out: 63 locales, 560 KB of source whose Chinese and Japanese make the chunk a two-byte string,
// compiled in every command's start-up (about 30 ms on a slow machine: BENCHMARKS.md). wxlog imports
// `* as z` and uses English, zod's default: a build with any other locale in it fails.
const bundled = Object.values(result.metafile.outputs).flatMap((output) =>
  Object.entries(output.inputs)
    .filter(([, input]) => input.bytesInOutput > 0)
    .map(([path]) => path),
);
const locales = bundled.filter(
  (path) => /[\\/]zod[\\/]v4[\\/]locales[\\/]/.test(path) && !/[\\/](en|index)\.js$/.test(path),
);
if (locales.length > 0)
  throw new Error(
    `the bundle holds ${locales.length} of zod's locales (${locales[0]}, …): import zod as \`import * as z from 'zod'\`, not \`{ z }\``,
  );

const unapplied = PATCHES.filter((p) => !applied.has(p));
if (unapplied.length > 0)
  throw new Error(
    `pg's files changed: ${unapplied.map((p) => `\`${p.from}\``).join(', ')} not found; see scripts/bundle.ts`,
  );
