import { parseBgpPeer, type BgpPeerConfig, type BgpSessionState } from '@ironlb/shared';
import type { EventInput } from '@ironlb/shared/kube';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { CommandResult } from './command-runner.js';
import { SessionEventReporter } from './session-event-reporter.js';

const peerConfig = (): BgpPeerConfig => {
  const r = parseBgpPeer({
    metadata: { name: 'router', uid: 'u-router' },
    spec: { myASN: 64513, peerASN: 64512, peerAddress: '192.0.2.61' },
  });
  if (!r.ok) throw new Error(r.error.join('; '));
  return r.value;
};

const A = '192.0.2.61';
const regarding = { apiVersion: 'ironlb.io/v1alpha1', kind: 'BGPPeer', name: 'router', uid: 'u-router' };

function setup(neighbor: CommandResult): {
  reporter: SessionEventReporter;
  events: EventInput[];
  calls: string[][];
  clock: { t: number };
  poll: (states: Record<string, BgpSessionState>, wanted?: string[]) => Promise<void>;
} {
  const events: EventInput[] = [];
  const calls: string[][] = [];
  const clock = { t: 1_000_000 };
  const reporter = new SessionEventReporter({
    nodeName: 'n1',
    target: { instance: 'lab-n1', configDir: '/nowhere', reloadScript: '/nowhere', bindir: '/usr/bin' },
    run: (argv) => {
      calls.push([...argv]);
      return Promise.resolve(neighbor);
    },
    recorder: { emit: (e) => events.push(e) },
    logger: pino({ level: 'silent' }),
    notEstablishedAfterMs: 30_000,
    now: () => clock.t,
  });
  const peers = new Map([[A, peerConfig()]]);
  const poll = (states: Record<string, BgpSessionState>, wanted = [A]): Promise<void> =>
    reporter.update({ states: new Map(Object.entries(states)), wanted: new Set(wanted), peers });
  return { reporter, events, calls, clock, poll };
}

const detail: CommandResult = {
  code: 0,
  stdout: JSON.stringify({
    [A]: {
      bgpState: 'Active',
      lastResetDueTo: 'Waiting for peer OPEN',
      lastNotificationReason: 'Cease/Peer Unconfigured',
    },
  }),
  stderr: '',
};

describe('SessionEventReporter', () => {
  it("never Established: one Warning on the BGPPeer after the grace time, with FRR's last reset; Normal when up", async () => {
    const t = setup(detail);
    await t.poll({ [A]: 'Active' });
    t.clock.t += 29_000;
    await t.poll({ [A]: 'Connect' });
    expect(t.events).toEqual([]);
    t.clock.t += 1_000;
    await t.poll({ [A]: 'Active' });
    t.clock.t += 60_000;
    await t.poll({ [A]: 'Active' });
    expect(t.calls).toEqual([['/usr/bin/vtysh', '-N', 'lab-n1', '-c', `show bgp neighbors ${A} json`]]);
    t.clock.t += 10_000;
    await t.poll({ [A]: 'Established' });
    expect(t.events).toEqual([
      {
        regarding,
        type: 'Warning',
        reason: 'BGPSessionNotEstablished',
        note: `node n1: session with ${A} not Established 30s after it was configured (now Active); FRR last reset: Waiting for peer OPEN, last notification: Cease/Peer Unconfigured`,
      },
      {
        regarding,
        type: 'Normal',
        reason: 'BGPSessionEstablished',
        note: `node n1: session with ${A} Established again after 100s not established`,
      },
    ]);
  });

  it('down and back: BGPSessionDown (without detail when FRR does not answer), then BGPSessionEstablished', async () => {
    const t = setup({ code: 1, stdout: '', stderr: 'vtysh: connect failed' });
    await t.poll({ [A]: 'Established' });
    t.clock.t += 1_000;
    await t.poll({ [A]: 'Idle' });
    t.clock.t += 5_000;
    await t.poll({ [A]: 'Active' });
    t.clock.t += 5_000;
    await t.poll({ [A]: 'Established' });
    expect(t.events.map((e) => [e.type, e.reason, e.note])).toEqual([
      ['Warning', 'BGPSessionDown', `node n1: session with ${A} left Established (now Idle)`],
      ['Normal', 'BGPSessionEstablished', `node n1: session with ${A} Established again after 10s down`],
    ]);
  });

  it('an address no BGPPeer names any more gives no event', async () => {
    const t = setup(detail);
    const other = '192.0.2.99';
    await t.poll({ [other]: 'Established' }, [other]);
    await t.poll({}, [other]);
    expect(t.events).toEqual([]);
  });
});
