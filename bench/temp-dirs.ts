import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Temporary folders of one bench or drill run, removed together at the end (kept with BENCH_KEEP=1). */
export class TempDirs {
  private readonly made: string[] = [];

  constructor(private readonly keep = false) {}

  make(label: string): string {
    const dir = mkdtempSync(join(tmpdir(), `wxlog-${label}-`));
    this.made.push(dir);
    return dir;
  }

  removeAll(): void {
    if (this.keep) return;
    for (const dir of this.made.splice(0)) rmSync(dir, { recursive: true, force: true });
  }
}
