// Terminal columns of text: CJK ideographs, kana, hangul, fullwidth forms and emoji take two columns,
// combining marks and zero-width characters none. Covers what realtime logs contain; not a full UAX #11.
// Text is measured per grapheme (what a terminal draws as one symbol), so that an emoji sequence counts
// once: ⚠️ is U+26A0 (one column as text) followed by VS16 (U+FE0F), which asks for the two-column emoji
// form; 👍🏽 and 👨‍👩‍👧 are several code points drawn as one emoji.

const WIDE: ReadonlyArray<readonly [number, number]> = [
  [0x1100, 0x115f], // Hangul Jamo initials
  [0x2e80, 0x303e], // CJK radicals, Kangxi, CJK symbols and punctuation
  [0x3041, 0x33ff], // Hiragana, Katakana, Bopomofo, CJK compatibility
  [0x3400, 0x4dbf], // CJK extension A
  [0x4e00, 0x9fff], // CJK unified ideographs
  [0xa000, 0xa4cf], // Yi
  [0xac00, 0xd7a3], // Hangul syllables
  [0xf900, 0xfaff], // CJK compatibility ideographs
  [0xfe30, 0xfe4f], // CJK compatibility forms
  [0xff00, 0xff60], // Fullwidth forms
  [0xffe0, 0xffe6],
  [0x1f300, 0x1f64f], // pictographs and emoticons
  [0x1f680, 0x1f6ff], // transport and map symbols (🚀)
  [0x1f900, 0x1f9ff], // supplemental symbols and pictographs
  [0x1fa70, 0x1faff], // symbols and pictographs extended-A
  [0x20000, 0x3fffd], // CJK extensions B and later
];

const ZERO: ReadonlyArray<readonly [number, number]> = [
  [0x0300, 0x036f], // combining diacritics
  [0x200b, 0x200f], // zero-width space, joiners, direction marks
  [0xfe00, 0xfe0f], // variation selectors
];

function inRanges(code: number, ranges: ReadonlyArray<readonly [number, number]>): boolean {
  for (const [low, high] of ranges) {
    if (code < low) return false;
    if (code <= high) return true;
  }
  return false;
}

function charWidth(char: string): number {
  const code = char.codePointAt(0) ?? 0;
  if (code < 0x20 || (code >= 0x7f && code < 0xa0)) return 0;
  if (inRanges(code, ZERO)) return 0;
  return inRanges(code, WIDE) || EMOJI_PRESENTATION.test(char) ? 2 : 1;
}

// Code points drawn as emoji (two columns) without a selector: ⌚, ⚡, ✅, regional indicators, …
const EMOJI_PRESENTATION = /^\p{Emoji_Presentation}/u;
const VS15 = '\ufe0e';
const VS16 = '\ufe0f';
// Nothing to segment: most of what a table holds (ids, numbers, URLs).
const PLAIN = /^[\x20-\x7e]*$/;
// Characters that never join a neighbour into one symbol: printable ASCII, CJK ideographs, CJK and fullwidth
// punctuation (the ideographic tone marks U+302A–302F and the halfwidth sound marks U+FF9E–FF9F join the
// character before them, and are left out). Chinese log text is mostly these; only the rest (emoji, marks,
// line breaks) is looked at symbol by symbol, which took ~100 ms on 100 KB of log text when done to all of it.
const NOT_SIMPLE = /[^\x20-\x7e\u3000-\u3029\u3030-\u303f\u4e00-\u9fff\uff00-\uff9d]+/g;
// The two-column characters among those: CJK punctuation, ideographs, fullwidth forms.
const SIMPLE_WIDE = /[\u3000-\u303e\u4e00-\u9fff\uff00-\uff60]/g;
// What may join the code point before or after it (UAX #29): marks (VS16 among them), format characters
// (ZWJ, tags), skin tones, regional indicators, Hangul jamo, the few letters that are spacing marks or prepend,
// the halfwidth sound marks, and the historic Brahmic scripts. A run without any, but for one VS15 or VS16
// after a code point, is a symbol per code point: what the log lines' 👍, 🚀 and ⚠️ are.
const ONE_PER_CODE_POINT =
  // eslint-disable-next-line no-misleading-character-class -- the class lists the characters that join, on purpose
  /^(?:[^\p{M}\p{Cf}\p{Emoji_Modifier}\p{Regional_Indicator}\u1100-\u11ff\ua960-\ua97f\ud7b0-\ud7ff\u0d4e\u0e33\u0eb3\uff9e\uff9f\u{11000}-\u{11fff}](?:\ufe0e|\ufe0f)?)*$/u;

/** Columns of `text[from, to)`, characters that never join (see NOT_SIMPLE): one symbol each. */
function simpleWidth(text: string, from: number, to: number): number {
  if (from >= to) return 0;
  const part = text.slice(from, to);
  return 2 * part.length - part.replace(SIMPLE_WIDE, '').length;
}

/** The symbols of a run matching ONE_PER_CODE_POINT, each with its columns, as {@link symbols} gives them. */
function* codePointSymbols(run: string): Generator<{ text: string; width: number }> {
  let pending: { text: string; width: number } | undefined;
  for (const char of run) {
    if (pending !== undefined && (char === VS16 || char === VS15)) {
      // VS16 asks for the emoji form of a text symbol such as ⚠ or ❤; VS15 keeps the symbol as it is.
      yield { text: pending.text + char, width: char === VS16 && pending.width === 1 ? 2 : pending.width };
      pending = undefined;
      continue;
    }
    if (pending !== undefined) yield pending;
    pending = { text: char, width: charWidth(char) };
  }
  if (pending !== undefined) yield pending;
}

// Made on first use: ICU's first object (this segmenter) costs 20–30 ms, which a command printing only ASCII,
// CJK text and lone emoji (nearly every table) does not pay.
let graphemes: Intl.Segmenter | undefined;

/** The symbols of `text` as a terminal draws them, each with its columns. */
function* symbols(text: string): Generator<{ text: string; width: number }> {
  if (ONE_PER_CODE_POINT.test(text)) {
    yield* codePointSymbols(text);
    return;
  }
  graphemes ??= new Intl.Segmenter(undefined, { granularity: 'grapheme' });
  for (const { segment } of graphemes.segment(text)) {
    // A cluster is as wide as its first character (the rest are marks, joiners, modifiers), unless
    // VS16 asks for the emoji form of a text symbol such as ⚠ or ❤.
    const base = charWidth(segment);
    yield { text: segment, width: base === 1 && segment.includes(VS16) ? 2 : base };
  }
}

/** Columns `text` takes on a terminal (CJK characters and emoji count two). */
export function displayWidth(text: string): number {
  if (PLAIN.test(text)) return text.length;
  let width = 0;
  let at = 0;
  for (const run of text.matchAll(NOT_SIMPLE)) {
    // The character before a run may be the base a mark of the run joins: it is measured with the run.
    const from = run.index > at ? run.index - 1 : run.index;
    width += simpleWidth(text, at, from);
    at = run.index + run[0].length;
    for (const symbol of symbols(text.slice(from, at))) width += symbol.width;
  }
  return width + simpleWidth(text, at, text.length);
}

/** `text` cut to at most `width` columns, ending with `…` when something was cut; never inside a symbol. */
export function truncateToWidth(text: string, width: number): string {
  if (displayWidth(text) <= width) return text;
  if (width <= 0) return '';
  let out = '';
  let used = 0;
  for (const symbol of symbols(text)) {
    if (used + symbol.width > width - 1) break;
    out += symbol.text;
    used += symbol.width;
  }
  return `${out}…`;
}
