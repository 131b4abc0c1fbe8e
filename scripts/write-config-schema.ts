// Regenerates config/wxlog.schema.json from the zod schema; test/config checks that it is up to date.
import { writeFileSync } from 'node:fs';
import { configJsonSchema } from '../src/config/config-schema.js';

const target = new URL('../config/wxlog.schema.json', import.meta.url);
writeFileSync(target, `${JSON.stringify(configJsonSchema(), null, 2)}\n`);
process.stdout.write(`wrote ${target.pathname}\n`);
