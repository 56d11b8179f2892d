import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { GratuitousBursts } from './gratuitous-bursts.js';

const SCHEDULE = [0, 100, 500, 2000];

function setup(): { bursts: GratuitousBursts; steps: [string, number, number][] } {
  const steps: [string, number, number][] = [];
  const bursts = new GratuitousBursts({
    scheduleMs: SCHEDULE,
    onStep: (ip, step) => steps.push([ip, step, Date.now()]),
  });
  return { bursts, steps };
}

describe('GratuitousBursts', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 0 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('runs every step for every IP at its time, and holds nothing afterwards', async () => {
    const { bursts, steps } = setup();
    bursts.start('192.0.2.1');
    bursts.start('2001:db8::1');
    expect(vi.getTimerCount()).toBe(SCHEDULE.length);
    await vi.advanceTimersByTimeAsync(2000);
    expect(steps).toEqual(
      SCHEDULE.flatMap((at, step) => [
        ['192.0.2.1', step, at],
        ['2001:db8::1', step, at],
      ]),
    );
    expect(bursts.size).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('IPs started in a later turn get their own schedule', async () => {
    const { bursts, steps } = setup();
    bursts.start('192.0.2.1');
    await vi.advanceTimersByTimeAsync(50);
    bursts.start('192.0.2.2');
    await vi.advanceTimersByTimeAsync(3000);
    expect(steps.filter(([ip]) => ip === '192.0.2.2').map(([, step, at]) => [step, at])).toEqual(
      SCHEDULE.map((at, step) => [step, at + 50]),
    );
    expect(steps.filter(([ip]) => ip === '192.0.2.1')).toHaveLength(SCHEDULE.length);
  });

  it('cancel stops the remaining steps of that IP only; the last cancel clears the timers', async () => {
    const { bursts, steps } = setup();
    bursts.start('192.0.2.1');
    bursts.start('192.0.2.2');
    await vi.advanceTimersByTimeAsync(150);
    bursts.cancel('192.0.2.1');
    await vi.advanceTimersByTimeAsync(3000);
    expect(steps.filter(([ip]) => ip === '192.0.2.1').map(([, step]) => step)).toEqual([0, 1]);
    expect(steps.filter(([ip]) => ip === '192.0.2.2').map(([, step]) => step)).toEqual([0, 1, 2, 3]);

    bursts.start('192.0.2.3');
    await vi.advanceTimersByTimeAsync(0);
    bursts.cancel('192.0.2.3');
    expect(vi.getTimerCount()).toBe(0);
    expect(bursts.size).toBe(0);
  });

  it('a new start of an IP ends its running burst and starts over', async () => {
    const { bursts, steps } = setup();
    bursts.start('192.0.2.1');
    await vi.advanceTimersByTimeAsync(600); // steps 0, 1, 2 sent
    bursts.start('192.0.2.1');
    await vi.advanceTimersByTimeAsync(5000);
    expect(steps.map(([, step, at]) => [step, at])).toEqual([
      [0, 0],
      [1, 100],
      [2, 500],
      ...SCHEDULE.map((at, step) => [step, at + 600]),
    ]);
  });

  it('stop cancels everything, started in this turn or before', async () => {
    const { bursts, steps } = setup();
    bursts.start('192.0.2.1');
    await vi.advanceTimersByTimeAsync(10);
    bursts.start('192.0.2.2');
    bursts.stop();
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(5000);
    expect(steps.map(([ip, step]) => [ip, step])).toEqual([['192.0.2.1', 0]]);
  });
});
