import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onTestFinished } from 'vitest';

/**
 * A fresh folder for one test. It is removed when the test passes and kept (its path printed) when it
 * fails, so the SQLite file can be inspected.
 */
export function tempDir(prefix = 'wxlog-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  onTestFinished((ctx) => {
    if (ctx.task.result?.state === 'fail') {
      console.error(`kept ${dir} for inspection`);
    } else {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  return dir;
}
