import { describe, expect, it } from 'vitest';
import { displayWidth, truncateToWidth } from '../../src/cli/display-width.js';

describe('displayWidth', () => {
  it.each([
    ['', 0],
    ['hello', 5],
    ['网络请求失败', 12],
    ['ｆｕｌｌ', 8],
    ['e\u0301', 1], // e + combining acute
    ['🚀', 2], // transport symbols
    ['⚠️', 2], // U+26A0 + VS16: the emoji form
    ['⚠', 1], // the text form alone
    ['❤️', 2],
    ['✅', 2], // emoji presentation without a selector
    ['👍🏽', 2], // with a skin tone modifier
    ['👨‍👩‍👧', 2], // a ZWJ family
    ['🇨🇳', 2], // a flag: two regional indicators
    ['1️⃣', 2], // a keycap
    ['🥲', 2],
    ['🫠', 2], // symbols and pictographs extended-A
    ['发布🚀 ok ⚠️', 2 * 2 + 2 + 4 + 2],
    ['网络请求失败, code 404。「重试」', 6 * 2 + 10 + 2 + 2 * 4],
    ['ｶﾞ', 1], // halfwidth ka and the sound mark U+FF9E that joins it: one symbol, as wide as ka
    ['〇〡〪', 4], // the tone mark U+302A joins the numeral before it
  ])('%j takes %i columns', (text, width) => {
    expect(displayWidth(text)).toBe(width);
  });

  it('measures mixed text as the sum of its symbols, segmenting only what may join', () => {
    const segmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' });
    const chars = [
      '网',
      '络',
      '。',
      '，',
      '「',
      'Ａ',
      '１',
      'a',
      ' ',
      '"',
      '〇',
      'ｶ',
      '\uff9e',
      '\u302a',
      '🚀',
      '⚠',
      '\ufe0f',
    ];
    chars.push('e', '\u0301', '\r', '\n', '👍', '🏽', '\u200d', '👩', '🇨', '🇳', '\u2028', 'é', 'Ω', '\t');
    // What joins in other ways: a keycap, VS15, Hangul jamo after a syllable, a Devanagari conjunct, a Thai
    // spacing mark, and what never joins: CJK extension B, Cyrillic, a pictograph without its selector.
    chars.push(
      '❤',
      '0',
      '\u20e3',
      '\ufe0e',
      '한',
      '\u11a8',
      'ᄀ',
      '\u1161',
      'क',
      '्',
      'ष',
      'ก',
      '\u0e33',
      '𠀀',
      'ж',
      '😀',
    );
    for (let n = 0; n < 400; n += 1) {
      const text = Array.from(
        { length: 1 + (n % 37) },
        (_, i) => chars[(n * 7 + i * (3 + (n % 5))) % chars.length],
      ).join('');
      const bySymbol = [...segmenter.segment(text)].reduce((w, { segment }) => w + displayWidth(segment), 0);
      expect(displayWidth(text), text).toBe(bySymbol);
    }
  });
});

describe('truncateToWidth', () => {
  it('never cuts an emoji sequence in two', () => {
    expect(truncateToWidth('⚠️⚠️⚠️', 5)).toBe('⚠️⚠️…');
    expect(truncateToWidth('👨‍👩‍👧👨‍👩‍👧', 3)).toBe('👨‍👩‍👧…');
    expect(truncateToWidth('a🚀b', 3)).toBe('a…');
    expect(displayWidth(truncateToWidth('🚀🚀🚀', 4))).toBeLessThanOrEqual(4);
  });

  it('keeps text that fits', () => {
    expect(truncateToWidth('🚀⚠️', 4)).toBe('🚀⚠️');
  });
});

describe("wxlog query's table with emoji", () => {
  it('lines every column up: 🚀 and ⚠️ take two columns each', async () => {
    const { formatTable } = await import('../../src/cli/table-format.js');
    const lines = formatTable(
      ['msg', 'n'],
      [
        ['🚀 发布', 1],
        ['⚠️ warn', 22],
        ['plain', 333],
      ],
    )
      .trimEnd()
      .split('\n');
    // Where the column separator stands, in terminal columns: the same on every line.
    const separators = lines.map((line) => displayWidth(line.slice(0, line.search(/[|+]/))));
    expect(new Set(separators).size).toBe(1);
  });
});
