import { describe, expect, it } from 'vitest';
import { nextPageSize, PageSize } from '../../src/export/page-size.js';
import { AsyncSqliteStore } from '../../src/store/sqlite/async-sqlite-store.js';
import { Store } from '../../src/store/store.js';
import { tempDir } from '../helpers/temp-dir.js';
import { MIDDAY_CST_MS } from '../helpers/fixed-now.js';

/** Sizes asked, in order, until the search settles, against a server refusing above `ceiling`. */
function search(ceiling: number, configured = 1000, remaining = 100_000): number[] {
  let bounds = { served: 0, refused: Infinity };
  const asked: number[] = [];
  for (let i = 0; i < 40; i++) {
    const size = nextPageSize(configured, bounds, remaining);
    if (asked.at(-1) === size && size <= bounds.served) break;
    asked.push(size);
    bounds =
      size <= ceiling
        ? { served: Math.max(bounds.served, size), refused: bounds.refused }
        : { served: bounds.served, refused: Math.min(bounds.refused, size) };
  }
  return asked;
}

describe('nextPageSize', () => {
  it('asks the configured size until something is refused', () => {
    expect(nextPageSize(1000, { served: 0, refused: Infinity })).toBe(1000);
    expect(nextPageSize(300, { served: 300, refused: Infinity })).toBe(300);
  });

  it('goes down a ladder of round sizes, confirms a round ceiling with one refusal just above it', () => {
    expect(search(100)).toEqual([1000, 500, 300, 200, 100, 105, 100]);
    expect(search(500)).toEqual([1000, 500, 525, 500]);
    expect(search(50)).toEqual([1000, 500, 300, 200, 100, 50, 53, 50]);
  });

  // Within 5% is close enough: 791 for 800, 40 for 40 (refused 42).
  it('bisects towards a ceiling that is not round, to within 5%', () => {
    expect(search(40)).toEqual([1000, 500, 300, 200, 100, 50, 20, 21, 35, 42, 38, 40]);
    expect(search(800)).toEqual([1000, 500, 525, 762, 881, 821, 791]);
    // Halving from 1000 would settle on 62 where 100 is served; the search settles on 100.
    expect(
      search(100)
        .filter((s) => s <= 100)
        .at(-1),
    ).toBe(100);
    const settled = (c: number) =>
      search(c)
        .filter((s) => s <= c)
        .at(-1) ?? 0;
    for (const ceiling of [1, 7, 20, 40, 50, 60, 99, 120, 333, 999]) {
      expect(settled(ceiling)).toBeLessThanOrEqual(ceiling);
      expect(settled(ceiling)).toBeGreaterThanOrEqual(Math.floor(ceiling / 1.05));
      expect(search(ceiling).length).toBeLessThanOrEqual(14);
    }
  });

  it('does not probe a larger size when it would spare less than two pages of what is left', () => {
    expect(nextPageSize(1000, { served: 500, refused: 1000 }, 1500)).toBe(500);
    expect(nextPageSize(1000, { served: 500, refused: 1000 }, 5000)).toBe(525);
    expect(nextPageSize(1000, { served: 0, refused: 1000 }, 10)).toBe(500);
    // Nothing known of what is left (a new run, a window's first page): a size proven served.
    expect(nextPageSize(1000, { served: 500, refused: 1000 })).toBe(500);
  });
});

describe('PageSize', () => {
  function state() {
    return new AsyncSqliteStore(Store.open(`${tempDir()}/wxlog.db`)).state;
  }
  const day = MIDDAY_CST_MS;

  it('keeps what it learnt per app, and tries the smallest refused size again on the next CST day', async () => {
    const s = state();
    const first = await PageSize.load(s, 'wxa', 1000, () => day);
    expect(await first.refused(1000, 100_000)).toBe(500);
    await first.served(500, 500, 100_000);
    expect(first.isProven(500)).toBe(true);
    expect(first.current).toBe(525);
    await first.refused(525, 100_000);
    // A new run on the same day starts at the size proven served.
    expect((await PageSize.load(s, 'wxa', 1000, () => day)).current).toBe(500);
    expect((await PageSize.load(s, 'wxb', 1000, () => day)).current).toBe(1000);
    const tomorrow = await PageSize.load(s, 'wxa', 1000, () => day + 86_400_000);
    const smallestRefused = (JSON.parse((await s.get('page_size:wxa')) ?? '{}') as { refused: number }).refused;
    expect(tomorrow.current).toBe(smallestRefused);
    // Served now: the ceiling rose, the search starts upwards again.
    await tomorrow.served(smallestRefused, smallestRefused, 100_000);
    expect(tomorrow.current).toBe(1000);
  });

  it('says a refusal at a proven size, or of one entry, is not about the size', async () => {
    const p = await PageSize.load(state(), 'wxa', 1000, () => day);
    await p.served(1000, 1000, 5000);
    expect(await p.refused(1000)).toBeNull();
    expect(await p.refused(1)).toBeNull();
  });

  it('notices a silent cap: effective page is what came back while more remained', async () => {
    const p = await PageSize.load(state(), 'wxa', 1000, () => day);
    await p.served(1000, 100, 900);
    expect(p.current).toBe(1000);
    expect(p.effective).toBe(100);
  });
});
