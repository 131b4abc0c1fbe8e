import { describe, expect, it } from 'vitest';
import { nextPageSize, type PageSizeBounds } from '../../src/export/page-size.js';

/** The sizes asked of a server refusing above `ceiling`, from `configured`, until the search settles. */
function asked(configured: number, ceiling: number): number[] {
  const bounds: PageSizeBounds = { served: 0, refused: Infinity };
  const sizes: number[] = [];
  for (let size = configured; sizes.length < 40; size = nextPageSize(configured, bounds)) {
    if (sizes.at(-1) === size) break;
    sizes.push(size);
    if (size <= ceiling) bounds.served = Math.max(bounds.served, size);
    else bounds.refused = Math.min(bounds.refused, size);
  }
  return sizes;
}

describe('nextPageSize', () => {
  it('confirms a round ceiling with one refusal just above it', () => {
    expect(asked(1000, 500)).toEqual([1000, 500, 525, 500]);
    expect(asked(1000, 50)).toEqual([1000, 500, 300, 200, 100, 50, 53, 50]);
  });

  // Within 5% is close enough: 791 for 800, 40 for 40 (refused 42).
  it('bisects towards a ceiling that is not round', () => {
    expect(asked(1000, 40)).toEqual([1000, 500, 300, 200, 100, 50, 20, 21, 35, 42, 38, 40]);
    expect(asked(1000, 800)).toEqual([1000, 500, 525, 762, 881, 821, 791]);
  });
});
