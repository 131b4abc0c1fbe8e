import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// There is no Docker engine here: these tests check what can be checked without one.

const root = fileURLToPath(new URL('..', import.meta.url));
const read = (path: string): string => readFileSync(`${root}${path}`, 'utf8');
const pkg = JSON.parse(read('package.json')) as {
  bin: Record<string, string>;
  engines: { node: string };
  scripts: Record<string, string>;
};

interface Instruction {
  stage: number;
  keyword: string;
  args: string;
}

interface Stage {
  index: number;
  image: string;
  name: string | undefined;
  instructions: Instruction[];
}

/** The Dockerfile as instructions grouped by stage, with `\` continuations joined and comments dropped. */
function parseDockerfile(text: string): { args: Map<string, string>; stages: Stage[] } {
  const logical: string[] = [];
  let pending = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (pending === '' && (line === '' || line.startsWith('#'))) continue;
    if (line.startsWith('#')) continue;
    pending += `${line.replace(/\\$/, '').trim()} `;
    if (!line.endsWith('\\')) {
      logical.push(pending.trim());
      pending = '';
    }
  }
  const args = new Map<string, string>();
  const stages: Stage[] = [];
  for (const line of logical) {
    const [keyword = '', ...rest] = line.split(/\s+/);
    const argText = rest.join(' ');
    const upper = keyword.toUpperCase();
    if (upper === 'FROM') {
      const [image = '', as, name] = rest;
      stages.push({
        index: stages.length,
        image,
        name: as?.toUpperCase() === 'AS' ? name : undefined,
        instructions: [],
      });
    } else if (upper === 'ARG' && stages.length === 0) {
      const [name = '', value = ''] = argText.split('=');
      args.set(name, value);
    } else {
      const stage = stages.at(-1);
      if (!stage) throw new Error(`${upper} before FROM`);
      stage.instructions.push({ stage: stage.index, keyword: upper, args: argText });
    }
  }
  return { args, stages };
}

function resolveImage(image: string, args: Map<string, string>): string {
  return image.replace(
    /\$\{(\w+)\}|\$(\w+)/g,
    (_, a: string | undefined, b: string | undefined) => args.get(a ?? b ?? '') ?? '',
  );
}

function copySources(ins: Instruction): { from: string | undefined; sources: string[]; dest: string } {
  const words = ins.args.split(/\s+/);
  const flags = words.filter((w) => w.startsWith('--'));
  const paths = words.filter((w) => !w.startsWith('--'));
  const from = flags.find((f) => f.startsWith('--from='))?.slice('--from='.length);
  return { from, sources: paths.slice(0, -1), dest: paths.at(-1) ?? '' };
}

function workdirOf(stage: Stage): string {
  return stage.instructions.filter((i) => i.keyword === 'WORKDIR').at(-1)?.args ?? '/';
}

/** Whether a .dockerignore pattern list leaves `path` out of the build context (the patterns used here). */
function ignored(path: string, patterns: string[]): boolean {
  const first = path.split('/')[0] ?? path;
  return patterns.some((p) => {
    if (p.includes('*')) {
      const re = new RegExp(`^${p.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*')}$`);
      return re.test(path) || re.test(first);
    }
    return p === path || p === first;
  });
}

type Yaml = string | number | boolean | null | Yaml[] | { [key: string]: Yaml };

interface YamlLine {
  indent: number;
  text: string;
}

function yamlScalar(text: string): Yaml {
  const t = text.trim();
  if (t.startsWith('"') || t.startsWith('[') || t.startsWith('{')) return JSON.parse(t) as Yaml;
  if (t.startsWith("'")) return t.slice(1, -1).replace(/''/g, "'");
  if (/^-?\d+(\.\d+)?$/.test(t)) return Number(t);
  if (t === 'true' || t === 'false') return t === 'true';
  if (t === 'null' || t === '~') return null;
  return t;
}

function stripComment(line: string): string {
  let quote: string | undefined;
  for (let i = 0; i < line.length; i += 1) {
    const c = line[i];
    if (quote) {
      if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") {
      quote = c;
    } else if (c === '#' && (i === 0 || /\s/.test(line[i - 1]!))) {
      return line.slice(0, i);
    }
  }
  return line;
}

/** Block mappings, block sequences and JSON-style flow values: the YAML the examples are written in. */
function parseYamlBlock(lines: YamlLine[], start: number, indent: number): [Yaml, number] {
  const first = lines[start];
  if (!first) return [null, start];
  if (first.text === '-' || first.text.startsWith('- ')) {
    const list: Yaml[] = [];
    let i = start;
    while (
      i < lines.length &&
      lines[i]!.indent === indent &&
      (lines[i]!.text === '-' || lines[i]!.text.startsWith('- '))
    ) {
      const content = lines[i]!.text.slice(1).trim();
      if (content === '') {
        const [value, next] = parseYamlBlock(lines, i + 1, lines[i + 1]?.indent ?? indent + 2);
        list.push(value);
        i = next;
      } else if (/^[\w.-]+:(\s|$)/.test(content)) {
        // "- key: value" opens a mapping whose keys sit two columns in.
        const inner = [{ indent: indent + 2, text: content }];
        let j = i + 1;
        while (j < lines.length && lines[j]!.indent > indent) inner.push(lines[j++]!);
        list.push(parseYamlBlock(inner, 0, indent + 2)[0]);
        i = j;
      } else {
        list.push(yamlScalar(content));
        i += 1;
      }
    }
    return [list, i];
  }
  const map: Record<string, Yaml> = {};
  let i = start;
  while (i < lines.length && lines[i]!.indent === indent) {
    const match = /^([^:]+):(?:\s+(.*))?$/.exec(lines[i]!.text);
    if (!match) throw new Error(`cannot read YAML line ${JSON.stringify(lines[i]!.text)}`);
    const [, key = '', rest] = match;
    const next = lines[i + 1];
    if (rest !== undefined && rest.trim() !== '') {
      map[key.trim()] = yamlScalar(rest);
      i += 1;
    } else if (next && (next.indent > indent || (next.indent === indent && next.text.startsWith('- ')))) {
      const [value, after] = parseYamlBlock(lines, i + 1, next.indent);
      map[key.trim()] = value;
      i = after;
    } else {
      map[key.trim()] = null;
      i += 1;
    }
  }
  return [map, i];
}

function parseYaml(text: string): Yaml[] {
  return text.split(/^---\s*$/m).map((doc) => {
    const lines = doc
      .split('\n')
      .map((l) => stripComment(l).replace(/\s+$/, ''))
      .filter((l) => l.trim() !== '')
      .map((l) => ({ indent: l.length - l.trimStart().length, text: l.trim() }));
    return parseYamlBlock(lines, 0, lines[0]?.indent ?? 0)[0];
  });
}

function at(value: Yaml | undefined, ...path: (string | number)[]): Yaml | undefined {
  let current = value;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string | number, Yaml>)[key];
  }
  return current;
}

function cliHelp(command: string): Promise<number | null> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [`${root}dist/cli/main.js`, command, '--help'],
      { env: { PATH: process.env.PATH ?? '' } },
      (error) => resolve(error === null ? 0 : typeof error.code === 'number' ? error.code : null),
    );
  });
}

const dockerfile = parseDockerfile(read('Dockerfile'));
const final = dockerfile.stages.at(-1)!;
const dockerignore = read('.dockerignore')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l !== '' && !l.startsWith('#'));

function finalInstruction(keyword: string): Instruction[] {
  return final.instructions.filter((i) => i.keyword === keyword);
}

describe('Dockerfile', () => {
  it('is multi-stage on a Node LTS image that satisfies engines and better-sqlite3', () => {
    expect(dockerfile.stages.length).toBeGreaterThanOrEqual(2);
    const images = dockerfile.stages.map((s) => resolveImage(s.image, dockerfile.args));
    const stageNames = new Set(dockerfile.stages.map((s) => s.name));
    for (const image of images.filter((i) => !stageNames.has(i))) {
      const major = Number(/^node:(\d+)/.exec(image)?.[1]);
      // Even majors are the LTS lines.
      expect(major % 2).toBe(0);
      const engines = /^>=(\d+)\.(\d+)\.(\d+)$/.exec(pkg.engines.node);
      expect(engines).not.toBeNull();
      expect(major).toBeGreaterThanOrEqual(Number(engines![1]));
      const sqlite = JSON.parse(read('node_modules/better-sqlite3/package.json')) as { engines: { node: string } };
      expect(sqlite.engines.node.split('||').map((s) => s.trim())).toContain(`${major}.x`);
    }
  });

  it('copies only paths that exist in the build context and are not ignored', () => {
    for (const stage of dockerfile.stages) {
      for (const ins of stage.instructions.filter((i) => i.keyword === 'COPY' || i.keyword === 'ADD')) {
        const { from, sources } = copySources(ins);
        if (from !== undefined) continue;
        for (const source of sources) {
          expect({ source, exists: existsSync(`${root}${source}`) }).toEqual({ source, exists: true });
          expect({ source, ignored: ignored(source, dockerignore) }).toEqual({ source, ignored: false });
        }
      }
    }
  });

  it('copies from earlier stages what they produce: dist/ from the build, production node_modules', () => {
    const copies = finalInstruction('COPY')
      .map(copySources)
      .filter((c) => c.from !== undefined);
    const byName = new Map(dockerfile.stages.map((s) => [s.name, s]));
    for (const copy of copies) expect(byName.has(copy.from)).toBe(true);

    const dist = copies.find((c) => c.sources.some((s) => s.endsWith('/dist')));
    expect(dist).toBeDefined();
    const buildStage = byName.get(dist!.from)!;
    expect(buildStage.instructions.some((i) => i.keyword === 'RUN' && /\bnpm run build\b/.test(i.args))).toBe(true);
    // `npm run build` bundles the CLI into dist/ (scripts/bundle.ts), which holds it here after a build;
    // the build stage has the script and the sources it reads.
    expect(pkg.scripts.build).toBe('tsx scripts/bundle.ts');
    expect(read('scripts/bundle.ts')).toMatch(/outdir: 'dist\/cli'/);
    const copied = buildStage.instructions.filter((i) => i.keyword === 'COPY').map((i) => i.args);
    for (const needed of ['scripts', 'src']) expect(copied.some((a) => a.split(/\s+/).includes(needed))).toBe(true);
    expect(dist!.sources[0]).toBe(posix.join(workdirOf(buildStage), 'dist'));
    expect(existsSync(`${root}dist/cli/main.js`)).toBe(true);

    const modules = copies.find((c) => c.sources.some((s) => s.endsWith('/node_modules')));
    expect(modules).toBeDefined();
    const depsStage = byName.get(modules!.from)!;
    expect(
      depsStage.instructions.some((i) => i.keyword === 'RUN' && /npm (ci|prune)\b[^&]*--omit=dev/.test(i.args)),
    ).toBe(true);
    // Installed without scripts (`prepare` would need tsc), so better-sqlite3 is built on its own.
    expect(depsStage.instructions.some((i) => i.keyword === 'RUN' && /npm rebuild better-sqlite3/.test(i.args))).toBe(
      true,
    );
  });

  it('runs the compiled bin of package.json, with migrations beside it', () => {
    const workdir = workdirOf(final);
    const entrypoint = JSON.parse(finalInstruction('ENTRYPOINT').at(-1)!.args) as string[];
    expect(entrypoint).toEqual(['node', posix.join(workdir, pkg.bin.wxlog!)]);
    expect(pkg.bin.wxlog).toBe('dist/cli/main.js');
    expect(existsSync(`${root}${pkg.bin.wxlog}`)).toBe(true);
    expect(JSON.parse(finalInstruction('CMD').at(-1)!.args)).toEqual(['daemon']);

    const dests = finalInstruction('COPY').map((c) => {
      const { sources, dest } = copySources(c);
      return { sources, dest: posix.resolve(workdir, dest) };
    });
    const destOf = (source: string) =>
      dests.find((d) => d.sources.some((s) => s === source || s.endsWith(`/${source}`)))?.dest;
    expect(destOf('dist')).toBe(posix.dirname(posix.dirname(posix.join(workdir, pkg.bin.wxlog!))));
    // The bundled code looks for migrations at ../../migrations from dist/cli/.
    expect(destOf('migrations')).toBe(posix.resolve(workdir, 'dist/cli', '../../migrations'));
    expect(destOf('package.json')).toBe(workdir);
    expect(destOf('config')).toBe(posix.join(workdir, 'config'));
  });

  it('runs as a non-root user, in production mode, with the database on a volume', () => {
    const user = finalInstruction('USER').at(-1)?.args;
    expect(user).toBeDefined();
    expect(['root', '0', '0:0']).not.toContain(user);
    const env = finalInstruction('ENV')
      .map((i) => i.args)
      .join(' ');
    expect(env).toMatch(/\bNODE_ENV=production\b/);
    expect(env).toMatch(/\bWXLOG_DB=\/data\/wxlog\.db\b/);
    expect(finalInstruction('VOLUME').map((i) => i.args)).toContain('/data');
    // USER comes after the RUN that hands /data to it.
    const order = final.instructions.map((i) => i.keyword);
    expect(order.lastIndexOf('RUN')).toBeLessThan(order.indexOf('USER'));
    expect(
      final.instructions.some(
        (i) => i.keyword === 'RUN' && i.args.includes(`chown ${user}`) && i.args.includes('/data'),
      ),
    ).toBe(true);
  });
});

describe('.dockerignore', () => {
  it('keeps dependencies, builds, data and databases out of the context', () => {
    for (const path of ['node_modules', 'dist', 'data', '.git', 'data/wxlog.db', 'demo.db', 'x.db-wal']) {
      expect({ path, ignored: ignored(path, dockerignore) }).toEqual({ path, ignored: true });
    }
  });
});

describe('examples', () => {
  const compose = parseYaml(read('examples/docker-compose.yml'))[0];
  const kube = parseYaml(read('examples/kubernetes-cronjob.yaml'));
  const cronJob = kube.find((d) => at(d, 'kind') === 'CronJob');

  it('runs the daemon from compose with a named volume on /data and the secret from an env file', () => {
    const service = at(compose, 'services', 'wxlog');
    expect(at(service, 'command')).toEqual(['daemon']);
    expect(at(service, 'env_file')).toEqual(['wxlog.env']);
    const volumes = at(service, 'volumes') as string[];
    const [volume] = volumes.map((v) => v.split(':')).filter(([, target]) => target === '/data');
    expect(volume).toBeDefined();
    expect(Object.keys(at(compose, 'volumes') as object)).toContain(volume![0]);
    expect(JSON.stringify(at(service, 'environment'))).not.toMatch(/SECRET/);
  });

  it('runs `wxlog run` from a CronJob that never overlaps, on a claim, with the secret from a Secret', () => {
    expect(at(cronJob, 'spec', 'concurrencyPolicy')).toBe('Forbid');
    const pod = at(cronJob, 'spec', 'jobTemplate', 'spec', 'template', 'spec');
    expect(at(pod, 'restartPolicy')).toBe('Never');
    const container = at(pod, 'containers', 0);
    expect(at(container, 'args')).toEqual(['run']);
    expect(at(container, 'resources', 'limits', 'memory')).toBeDefined();
    const env = at(container, 'env') as { name: string; valueFrom?: { secretKeyRef?: { name: string } } }[];
    expect(env.find((e) => e.name === 'WXLOG_SECRET')?.valueFrom?.secretKeyRef?.name).toBeDefined();
    const mount = (at(container, 'volumeMounts') as { name: string; mountPath: string }[]).find(
      (m) => m.mountPath === '/data',
    );
    const claim = at(
      (at(pod, 'volumes') as Yaml[]).find((v) => at(v, 'name') === mount?.name),
      'persistentVolumeClaim',
      'claimName',
    );
    expect(kube.some((d) => at(d, 'kind') === 'PersistentVolumeClaim' && at(d, 'metadata', 'name') === claim)).toBe(
      true,
    );
  });

  it('uses commands the CLI has', async () => {
    const commands = new Set<string>([
      ...(at(compose, 'services', 'wxlog', 'command') as string[]),
      ...(at(cronJob, 'spec', 'jobTemplate', 'spec', 'template', 'spec', 'containers', 0, 'args') as string[]),
      ...(JSON.parse(finalInstruction('CMD').at(-1)!.args) as string[]),
    ]);
    // Commands the comments tell people to type, too: command lines and `quoted` commands.
    for (const text of [
      read('examples/docker-compose.yml'),
      read('examples/kubernetes-cronjob.yaml'),
      read('Dockerfile'),
    ]) {
      const commandLines = [
        ...text.split('\n').filter((l) => /^#\s+(docker|kubectl|npx)\s/.test(l)),
        ...[...text.matchAll(/`([^`]+)`/g)].map((m) => m[1]!),
      ];
      for (const line of commandLines) {
        const words = line.replace(/^#/, '').trim().split(/\s+/);
        const next = words[words.lastIndexOf('wxlog') + 1];
        if (words.includes('wxlog') && next !== undefined && /^[a-z]+$/.test(next)) commands.add(next);
      }
    }
    expect(commands.size).toBeGreaterThanOrEqual(3);
    const codes = await Promise.all([...commands].map(async (c) => ({ command: c, status: await cliHelp(c) })));
    expect(codes).toEqual([...commands].map((command) => ({ command, status: 0 })));
  });
});
