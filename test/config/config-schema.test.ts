import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { configFileSchema, configJsonSchema } from '../../src/config/config-schema.js';
import { configurationMarkdown } from '../../src/config/configuration-doc.js';
import { envSettings, RESERVED_ENV_NAMES } from '../../src/config/env-settings.js';
import { loadConfig } from '../../src/config/load-config.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

describe('config/wxlog.schema.json', () => {
  it('is what `npm run schema` generates from the zod schema', () => {
    const committed = readFileSync(new URL('../../config/wxlog.schema.json', import.meta.url), 'utf8');
    // On failure: run `npm run schema` and commit the result.
    expect(committed).toBe(`${JSON.stringify(configJsonSchema(), null, 2)}\n`);
  });

  it('describes every key of the file and refuses others', () => {
    const schema = configJsonSchema() as { properties: Record<string, unknown>; additionalProperties: unknown };
    expect(Object.keys(schema.properties).sort()).toEqual(Object.keys(configFileSchema.shape).sort());
    expect(schema.additionalProperties).toBe(false);
  });
});

describe('docs/configuration.md', () => {
  it('is what `npm run schema` generates from the zod schema and the env table', () => {
    const committed = readFileSync(new URL('../../docs/configuration.md', import.meta.url), 'utf8');
    // On failure: run `npm run schema` and commit the result.
    expect(committed).toBe(configurationMarkdown());
  });

  it('names every setting, its env variable, and the reserved variables', () => {
    const page = configurationMarkdown();
    for (const { name, key } of envSettings)
      expect(page).toMatch(new RegExp(`^\\| \`${key}\` \\| \`${name}\` \\| `, 'm'));
    for (const name of RESERVED_ENV_NAMES) expect(page).toContain(`- \`${name}\``);
  });
});

describe('config/wxlog.example.json', () => {
  const example = JSON.parse(
    readFileSync(new URL('../../config/wxlog.example.json', import.meta.url), 'utf8'),
  ) as Record<string, unknown>;

  it('loads as a complete configuration for talking to WeChat', () => {
    const config = loadConfig({ env: {}, cwd: repoRoot, configFile: 'config/wxlog.example.json' }, 'upstream');
    expect(config.appid).toBe(example['appid']);
    expect(config.tokenMode).toBe('stable');
  });

  it('shows every setting of the one-app form that keeps it in the stable mode', () => {
    // accessToken, tokenUrl and tokenCommand would switch the token mode; apps and appsFile are the many-apps
    // form, refused with appid; leaseTtlMs matters on PostgreSQL only, and the example stores into SQLite.
    const left = new Set(['accessToken', 'tokenUrl', 'tokenCommand', 'apps', 'appsFile', 'leaseTtlMs']);
    const shown = Object.keys(example);
    const all = Object.keys(configFileSchema.shape).filter((key) => !left.has(key));
    expect(shown).toEqual(expect.arrayContaining(all));
    expect(Object.keys(configFileSchema.shape)).toEqual(expect.arrayContaining(Object.keys(example)));
  });
});
