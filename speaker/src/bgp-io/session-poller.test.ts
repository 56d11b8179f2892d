import type { BgpSessionState } from '@ironlb/shared';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createBgpMetrics } from './bgp-metrics.js';
import type { CommandResult, CommandRunner } from './command-runner.js';
import { SessionPoller } from './session-poller.js';

function runner(results: CommandResult[]): CommandRunner & { calls: string[][] } {
  const calls: string[][] = [];
  const run = (argv: readonly string[]): Promise<CommandResult> => {
    calls.push([...argv]);
    return Promise.resolve(results.shift() ?? { code: 1, stdout: '', stderr: 'no more' });
  };
  return Object.assign(run, { calls });
}

const summary = (states: Record<string, string>): CommandResult => ({
  code: 0,
  stdout: JSON.stringify({
    ipv4Unicast: { peers: Object.fromEntries(Object.entries(states).map(([a, state]) => [a, { state }])) },
  }),
  stderr: '',
});

describe('SessionPoller', () => {
  it('asks the instance for its summary, sets the gauge, and keeps the last value when FRR does not answer', async () => {
    const run = runner([
      summary({ '192.0.2.61': 'Established', '192.0.2.62': 'Active' }),
      { code: 1, stdout: '', stderr: 'vtysh: connect failed' },
      summary({ '192.0.2.61': 'Established', '192.0.2.62': 'Established' }),
    ]);
    const metrics = createBgpMetrics(new Registry());
    const seen: ReadonlyMap<string, BgpSessionState>[] = [];
    const poller = new SessionPoller({
      target: { instance: 'lab-n1', configDir: '/nowhere', reloadScript: '/nowhere', bindir: '/usr/bin' },
      run,
      intervalMs: 1000,
      metrics,
      logger: pino({ level: 'silent' }),
      onSessions: (s) => seen.push(s),
    });
    const up = async (): Promise<number | undefined> => (await metrics.sessionsUp.get()).values[0]?.value;
    await poller.pollOnce();
    expect(run.calls[0]).toEqual(['/usr/bin/vtysh', '-N', 'lab-n1', '-c', 'show bgp summary json']);
    expect(await up()).toBe(1);
    expect(await poller.pollOnce()).toBeNull();
    expect(await up()).toBe(1);
    await poller.pollOnce();
    expect(await up()).toBe(2);
    expect(seen.map((s) => s.get('192.0.2.62'))).toEqual(['Active', 'Established']);
  });
});
