import { referenceLoop } from './reference-loop.js';

// Runs the reference loop in a process of its own, as wxlog runs in one, so that neither shares an
// event loop with the simulator. Settings come as one JSON argument; the result goes to stdout.
const options = JSON.parse(process.argv[2] ?? '{}') as Parameters<typeof referenceLoop>[0];
referenceLoop(options).then(
  (result) => process.stdout.write(`${JSON.stringify(result)}\n`),
  (e: unknown) => {
    process.stderr.write(`reference loop: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 1;
  },
);
