/**
 * The instant tests call "now": 12:00 in China on 2026-11-22 (04:00 UTC), mid-day and so far from CST
 * midnight, and a fixed calendar day so that retention days and "today" are known. One definition, so
 * that tests written against different copies cannot drift apart. (The simulator's own tests keep
 * test/simulator/helpers.ts's 2024-06-15: their expectations name those days.)
 */
export const MIDDAY_CST = '2026-11-22T04:00:00Z';

/** {@link MIDDAY_CST} in milliseconds since the epoch. */
export const MIDDAY_CST_MS = Date.parse(MIDDAY_CST);

/** {@link MIDDAY_CST} in unix seconds. */
export const MIDDAY_CST_SECONDS = MIDDAY_CST_MS / 1000;

/** The CST day of {@link MIDDAY_CST}, as WeChat writes it. */
export const MIDDAY_CST_DAY = '20261122';
