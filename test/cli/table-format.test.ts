import { describe, expect, it } from 'vitest';
import { parseSince } from '../../src/cli/since-option.js';
import { formatTable } from '../../src/cli/table-format.js';

// Terminal columns, computed independently: the test data's wide characters are CJK ideographs.
function columnsOf(text: string): number {
  let width = 0;
  for (const char of text) width += /[\u4e00-\u9fff]/.test(char) ? 2 : 1;
  return width;
}

describe('formatTable', () => {
  const columns = ['id', 'url', 'text'];
  const rows = [
    [1, 'pages/chat/chat', '网络请求失败 404 https://api.example.com/v1/chat/messages?since=1700000000&limit=100'],
    [22, null, 'short'],
    [333, 'pages/index/index', `${'很长的日志'.repeat(20)}`],
  ];

  it('narrows wide columns to fit the terminal, marking cut cells with …', () => {
    const lines = formatTable(columns, rows, { maxWidth: 60 }).trimEnd().split('\n');
    expect(lines).toHaveLength(2 + rows.length);
    for (const line of lines) expect(columnsOf(line)).toBeLessThanOrEqual(60);
    expect(lines[2]).toMatch(/…$/);
    expect(lines[4]).toMatch(/…$/);
    // The short cell is not cut, and every id is still there, right-aligned.
    expect(lines[3]).toMatch(/short$/);
    expect(lines.slice(2).map((l) => l.split('|')[0])).toEqual(['  1 ', ' 22 ', '333 ']);
  });

  it('keeps whole cells without a width limit', () => {
    const text = formatTable(columns, rows);
    expect(text).toContain(rows[0]![2]);
    expect(text).toContain(rows[2]![2]);
  });
});

describe('parseSince', () => {
  const now = Date.parse('2026-11-22T12:40:00+08:00') / 1000;

  it('reads durations back from now and CST dates from their midnight', () => {
    expect(parseSince('30m', now)).toBe(now - 1800);
    expect(parseSince('2h', now)).toBe(now - 7200);
    expect(parseSince('3d', now)).toBe(now - 3 * 86_400);
    expect(parseSince('1w', now)).toBe(now - 7 * 86_400);
    expect(parseSince('2026-11-20', now)).toBe(Date.parse('2026-11-20T00:00:00+08:00') / 1000);
    expect(parseSince('20261120', now)).toBe(Date.parse('2026-11-20T00:00:00+08:00') / 1000);
  });

  it('refuses anything else with a message naming the option', () => {
    for (const bad of ['', 'yesterday', '2h30m', '-2h', '2026-02-30', '1.5h']) {
      expect(() => parseSince(bad, now)).toThrow(/--since/);
    }
  });
});
