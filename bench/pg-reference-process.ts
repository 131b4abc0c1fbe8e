import { pgReferenceLoop } from './pg-reference-loop.js';

// Runs the PostgreSQL reference loop in a process of its own, as bench/reference-process.ts runs SQLite's.
// Settings come as one JSON argument; the result goes to stdout.
const options = JSON.parse(process.argv[2] ?? '{}') as Parameters<typeof pgReferenceLoop>[0];
pgReferenceLoop(options).then(
  (result) => process.stdout.write(`${JSON.stringify(result)}\n`),
  (e: unknown) => {
    process.stderr.write(`PostgreSQL reference loop: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 1;
  },
);
