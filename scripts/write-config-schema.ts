// Regenerates config/wxlog.schema.json and docs/configuration.md from the zod schema; test/config checks
// that both are up to date.
import { mkdirSync, writeFileSync } from 'node:fs';
import { configJsonSchema } from '../src/config/config-schema.js';
import { configurationMarkdown } from '../src/config/configuration-doc.js';

const schema = new URL('../config/wxlog.schema.json', import.meta.url);
writeFileSync(schema, `${JSON.stringify(configJsonSchema(), null, 2)}\n`);
process.stdout.write(`wrote ${schema.pathname}\n`);

const docs = new URL('../docs/', import.meta.url);
mkdirSync(docs, { recursive: true });
const page = new URL('configuration.md', docs);
writeFileSync(page, configurationMarkdown());
process.stdout.write(`wrote ${page.pathname}\n`);
