import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { silentLogger } from '../../src/log/logger.js';
import { SCHEDULE_TIMEZONE, startCronSchedule, type CronSchedule } from '../../src/schedule/cron-schedule.js';

let schedule: CronSchedule | undefined;
const hostTz = process.env.TZ;

beforeEach(() => {
  // Far from China and with daylight saving time: a schedule that followed the host would tick elsewhere.
  process.env.TZ = 'America/Los_Angeles';
});

afterEach(() => {
  schedule?.stop();
  schedule = undefined;
  vi.useRealTimers();
  if (hostTz === undefined) delete process.env.TZ;
  else process.env.TZ = hostTz;
});

function start(expression: string, at: string, timezone?: string): Date[] {
  vi.useFakeTimers({ now: Date.parse(at) });
  const ticks: Date[] = [];
  schedule = startCronSchedule({
    expression,
    logger: silentLogger,
    onTick: (when) => ticks.push(when),
    ...(timezone === undefined ? {} : { timezone }),
  });
  return ticks;
}

describe('startCronSchedule', () => {
  it('reads the expression in China Standard Time, not the host time zone', async () => {
    expect(SCHEDULE_TIMEZONE).toBe('Asia/Shanghai');
    // 23:59:58 in China on 2026-11-22 is 15:59:58 UTC and 07:59:58 in Los Angeles.
    const ticks = start('0 0 * * *', '2026-11-22T15:59:58.000Z');
    expect(schedule?.nextRun()?.toISOString()).toBe('2026-11-22T16:00:00.000Z');
    await vi.advanceTimersByTimeAsync(1_000);
    expect(ticks).toEqual([]);
    await vi.advanceTimersByTimeAsync(1_500);
    expect(ticks.map((t) => t.toISOString())).toEqual(['2026-11-22T16:00:00.000Z']);
    // Nothing at midnight UTC or at midnight in Los Angeles.
    await vi.advanceTimersByTimeAsync(17 * 3_600_000);
    expect(ticks).toHaveLength(1);
  });

  it('follows another zone when one is given', async () => {
    const ticks = start('30 0 * * *', '2026-11-22T23:59:00.000Z', 'UTC');
    await vi.advanceTimersByTimeAsync(2 * 60_000);
    expect(ticks).toEqual([]);
    await vi.advanceTimersByTimeAsync(30 * 60_000);
    expect(ticks.map((t) => t.toISOString())).toEqual(['2026-11-23T00:30:00.000Z']);
  });

  it('ticks on a seconds field', async () => {
    const ticks = start('*/2 * * * * *', '2026-11-22T04:00:00.500Z');
    await vi.advanceTimersByTimeAsync(6_000);
    expect(ticks.map((t) => t.toISOString())).toEqual([
      '2026-11-22T04:00:02.000Z',
      '2026-11-22T04:00:04.000Z',
      '2026-11-22T04:00:06.000Z',
    ]);
  });

  it('ticks on five fields at the minute', async () => {
    const ticks = start('*/10 * * * *', '2026-11-22T04:05:00.000Z');
    await vi.advanceTimersByTimeAsync(20 * 60_000);
    expect(ticks.map((t) => t.toISOString())).toEqual(['2026-11-22T04:10:00.000Z', '2026-11-22T04:20:00.000Z']);
  });

  it('stops ticking for good when stopped', async () => {
    const ticks = start('* * * * * *', '2026-11-22T04:00:00.500Z');
    await vi.advanceTimersByTimeAsync(2_000);
    expect(ticks).toHaveLength(2);
    schedule?.stop();
    expect(schedule?.nextRun()).toBeNull();
    await vi.advanceTimersByTimeAsync(5_000);
    expect(ticks).toHaveLength(2);
    // Nothing is left to keep the process alive.
    expect(vi.getTimerCount()).toBe(0);
  });
});
