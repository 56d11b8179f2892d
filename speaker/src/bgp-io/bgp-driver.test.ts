import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  parseBfdProfile,
  parseBgpAdvertisement,
  parseBgpPeer,
  parseIPPool,
  type Result,
} from '@ironlb/shared';
import type { EventInput, KubeClients } from '@ironlb/shared/kube';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ObservedPeerStatus } from '../bgp/index.js';
import type { NodeFacts } from '../eligibility/index.js';
import type { PlanInput } from '../planner/index.js';
import type { BgpConfigSnapshot } from './bgp-config-view.js';
import { BgpDriver, type BgpDriverOptions } from './bgp-driver.js';
import { createBgpMetrics } from './bgp-metrics.js';
import type { CommandResult } from './command-runner.js';

const valid = <T>(r: Result<T, string[]>): T => {
  if (!r.ok) throw new Error(r.error.join('; '));
  return r.value;
};

const config: BgpConfigSnapshot = {
  peers: [
    valid(
      parseBgpPeer({
        metadata: { name: 'router', uid: 'u-router' },
        spec: { myASN: 64513, peerASN: 64512, peerAddress: '192.0.2.61', bfdProfile: 'fast' },
      }),
    ),
    valid(
      parseBgpPeer({
        metadata: { name: 'router-v6', uid: 'u-router-v6' },
        spec: { myASN: 64513, peerASN: 64512, peerAddress: '2001:db8:0::61' },
      }),
    ),
  ],
  advertisements: [
    valid(
      parseBgpAdvertisement({
        metadata: { name: 'adv', uid: 'u-adv' },
        spec: { ipPools: ['bgp'], communities: ['65000:7', 'large:1:2:3'] },
      }),
    ),
  ],
  bfdProfiles: [
    valid(parseBfdProfile({ metadata: { name: 'fast', uid: 'u-fast' }, spec: { receiveInterval: 50 } })),
  ],
};

const node: NodeFacts = { name: 'n1', labels: {}, ready: true, networkUnavailable: false };

const snapshot = (ips: string[]): Omit<PlanInput, 'alive'> => ({
  services: [{ namespace: 'ns', name: 'web', ips, externalTrafficPolicy: 'Cluster', endpoints: [] }],
  nodes: [node],
  pools: [
    valid(
      parseIPPool({ metadata: { name: 'bgp' }, spec: { addresses: ['203.0.113.0/24', '2001:db8:ff::/64'] } }),
    ),
  ],
  announcements: [],
});

const summary = (states: Record<string, string>): CommandResult => ({
  code: 0,
  stdout: JSON.stringify({
    ipv4Unicast: { peers: Object.fromEntries(Object.entries(states).map(([a, state]) => [a, { state }])) },
  }),
  stderr: '',
});

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ironlb-bgp-driver-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

interface Setup {
  driver: BgpDriver;
  calls: string[][];
  events: EventInput[];
  metrics: ReturnType<typeof createBgpMetrics>;
  /** Secret sources started, as `namespace/name:keys`. */
  started: string[];
  /** BGPPeer status applies. */
  patches: { name: string; body: object; options: object }[];
}

/** Fake password Secrets by name: undefined = absent; 'unreadable' = the LIST fails. */
type FakeSecrets = Map<string, Record<string, string> | 'unreadable'>;

/** A SecretSource over `secrets` that has listed once when started (or failed to). */
function fakeSources(secrets: FakeSecrets, started: string[]): BgpDriverOptions['secretSourceFor'] {
  return (spec) => {
    let synced = false;
    return {
      start: () => {
        started.push(`${spec.namespace}/${spec.name}:${spec.keys.join(',')}`);
        synced = secrets.get(spec.name) !== 'unreadable';
        return Promise.resolve();
      },
      stop: () => Promise.resolve(),
      hasSynced: () => synced,
      list: () => {
        const data = secrets.get(spec.name);
        if (data === undefined || data === 'unreadable') return [];
        const values = Object.fromEntries(Object.entries(data).filter(([k]) => spec.keys.includes(k)));
        return [{ metadata: { name: spec.name }, values }];
      },
    };
  };
}

function setup(
  o: {
    synced?: boolean;
    polls?: CommandResult[];
    config?: BgpConfigSnapshot;
    secrets?: FakeSecrets;
    logs?: string[];
    onChange?: () => void;
    statuses?: Map<string, ObservedPeerStatus>;
    /** Applying commands (not session polls) wait for it. */
    gate?: Promise<void>;
  } = {},
): Setup {
  const calls: string[][] = [];
  const polls = [...(o.polls ?? [])];
  const events: EventInput[] = [];
  const started: string[] = [];
  const patches: Setup['patches'] = [];
  const metrics = createBgpMetrics(new Registry());
  const driver = new BgpDriver({
    nodeName: 'n1',
    target: { instance: 'lab-n1', configDir: dir, reloadScript: join(dir, 'none'), bindir: '/usr/bin' },
    clients: {
      custom: {
        patchClusterCustomObjectStatus: (p: { name: string; body: object }, opts: object) => {
          patches.push({ name: p.name, body: p.body, options: opts });
          return Promise.resolve({});
        },
      },
    } as unknown as KubeClients,
    statusDebounceMs: 5,
    recorder: { emit: (e) => events.push(e) },
    metrics,
    logger:
      o.logs === undefined
        ? pino({ level: 'silent' })
        : pino({ level: 'debug' }, { write: (line: string) => void o.logs?.push(line) }),
    pollIntervalMs: 1000,
    onChange: o.onChange ?? (() => undefined),
    passwordNamespace: 'lb',
    secretSourceFor: fakeSources(o.secrets ?? (new Map() as FakeSecrets), started),
    run: async (argv) => {
      calls.push([...argv]);
      const isPoll = argv.includes('show bgp summary json');
      if (!isPoll) await o.gate;
      return isPoll ? (polls.shift() ?? summary({})) : { code: 0, stdout: '', stderr: '' };
    },
    view: {
      start: () => Promise.resolve(),
      stop: () => Promise.resolve(),
      hasSynced: () => o.synced ?? true,
      snapshot: () => o.config ?? config,
      peerStatuses: () => o.statuses ?? new Map(),
    },
  });
  return { driver, calls, events, metrics, started, patches };
}

describe('BgpDriver', () => {
  it('renders the BGP objects and the cluster view into frr.conf and applies it', async () => {
    const t = setup();
    t.driver.plan({ snapshot: snapshot(['203.0.113.10', '2001:db8:ff::a']), addresses: ['192.0.2.11'] });
    await t.driver.settled();
    const text = readFileSync(join(dir, 'frr.conf'), 'utf8');
    expect(text).toContain('router bgp 64513\n bgp router-id 192.0.2.11\n');
    expect(text).toContain(' neighbor 192.0.2.61 bfd profile fast\n');
    expect(text).toContain(' neighbor 2001:db8::61 remote-as 64512\n');
    expect(text).toMatch(/\n {2}network 203\.0\.113\.10\/32 route-map ironlb-tag-\d+\n/);
    expect(text).toMatch(/\n {2}network 2001:db8:ff::a\/128 route-map ironlb-tag-\d+\n/);
    expect(text).toContain(' set community 65000:7 additive\n set large-community 1:2:3 additive\n');
    expect(text).toContain(' profile fast\n  receive-interval 50\n');
    // No frr-reload.py at the target path: merged with vtysh -f.
    expect(t.calls).toEqual([['/usr/bin/vtysh', '-N', 'lab-n1', '-f', join(dir, 'frr.conf')]]);
    const prefixes = (await t.metrics.prefixesAdvertised.get()).values.map((v) => [v.labels.family, v.value]);
    expect(prefixes.sort()).toEqual([
      ['ipv4', 1],
      ['ipv6', 1],
    ]);
    expect(t.driver.currentPlan()?.ips.map((i) => [i.ip, i.peers])).toEqual([
      ['203.0.113.10', ['router']],
      ['2001:db8:ff::a', ['router-v6']],
    ]);
  });

  it('applies one plan at a time; plans made meanwhile are coalesced and only the newest is applied', async () => {
    let release = (): void => undefined;
    const gate = new Promise<void>((r) => (release = r));
    const t = setup({ gate });
    t.driver.plan({ snapshot: snapshot(['203.0.113.10']), addresses: ['192.0.2.11'] });
    await new Promise((r) => setTimeout(r, 20));
    expect(t.calls).toHaveLength(1);
    t.driver.plan({ snapshot: snapshot(['203.0.113.10', '203.0.113.11']), addresses: ['192.0.2.11'] });
    t.driver.plan({ snapshot: snapshot(['203.0.113.10', '203.0.113.12']), addresses: ['192.0.2.11'] });
    await new Promise((r) => setTimeout(r, 20));
    expect(t.calls).toHaveLength(1);
    release();
    await t.driver.settled();
    // The full apply of the first plan, then one incremental vtysh session for the newest plan only.
    expect(t.calls).toHaveLength(2);
    const session = t.calls[1] ?? [];
    expect(session.slice(0, 3)).toEqual(['/usr/bin/vtysh', '-N', 'lab-n1']);
    expect(session.filter((a) => a.startsWith('network '))).toEqual([
      expect.stringMatching(/^network 203\.0\.113\.12\/32 route-map ironlb-tag-\d+$/),
    ]);
    expect(session.join('\n')).not.toContain('203.0.113.11');
    expect(readFileSync(join(dir, 'frr.conf'), 'utf8')).toContain(' network 203.0.113.12/32 ');
  });

  it('renders nothing before the BGP caches have synced (an empty view would withdraw every route)', async () => {
    const t = setup({ synced: false });
    t.driver.plan({ snapshot: snapshot(['203.0.113.10']), addresses: ['192.0.2.11'] });
    await t.driver.settled();
    expect(t.calls).toEqual([]);
  });

  it('the first alive speaker reports an IP no node advertises, once per reason, on each of its Services', () => {
    const t = setup();
    const outside = (): Omit<PlanInput, 'alive'> => ({
      ...snapshot(['203.0.113.10']),
      pools: [valid(parseIPPool({ metadata: { name: 'other' }, spec: { addresses: ['203.0.113.0/24'] } }))],
    });
    const alive = new Set(['n1', 'n2']);
    t.driver.plan({ snapshot: outside(), addresses: ['192.0.2.11'], alive });
    t.driver.plan({ snapshot: outside(), addresses: ['192.0.2.11'], alive });
    expect(t.events).toEqual([
      {
        regarding: { apiVersion: 'v1', kind: 'Service', namespace: 'ns', name: 'web', uid: undefined },
        type: 'Warning',
        reason: 'BGPNotAdvertised',
        note: 'NoBGPAdvertisement: no BGPAdvertisement covers pool other of 203.0.113.10',
      },
    ]);
    // Another speaker ranks first: this one stays quiet.
    t.driver.plan({ snapshot: outside(), addresses: ['192.0.2.11'], alive: new Set(['a0', 'n1']) });
    expect(t.events).toHaveLength(1);
    // Advertised again: nothing to report.
    t.driver.plan({ snapshot: snapshot(['203.0.113.10']), addresses: ['192.0.2.11'], alive });
    expect(t.events).toHaveLength(1);
  });

  it('emits BGPSessionDown on the BGPPeer when a session leaves Established', async () => {
    const t = setup({
      polls: [
        summary({ '192.0.2.61': 'Established' }),
        summary({ '192.0.2.61': 'Established' }),
        summary({ '192.0.2.61': 'Active' }),
      ],
    });
    t.driver.plan({ snapshot: snapshot([]), addresses: ['192.0.2.11'] });
    await t.driver.settled();
    await t.driver.pollSessions();
    await t.driver.pollSessions();
    expect(t.events).toEqual([]);
    await t.driver.pollSessions();
    expect(t.events).toEqual([
      {
        regarding: { apiVersion: 'ironlb.io/v1alpha1', kind: 'BGPPeer', name: 'router', uid: 'u-router' },
        type: 'Warning',
        reason: 'BGPSessionDown',
        note: 'node n1: session with 192.0.2.61 left Established (now Active)',
      },
    ]);
  });
});

describe('BgpDriver: BGPPeer passwordSecret', () => {
  const withPassword = (key?: string): BgpConfigSnapshot => ({
    ...config,
    peers: [
      valid(
        parseBgpPeer({
          metadata: { name: 'router', uid: 'u-router' },
          spec: {
            myASN: 64513,
            peerASN: 64512,
            peerAddress: '192.0.2.61',
            passwordSecret: { name: 'bgp-router', ...(key === undefined ? {} : { key }) },
          },
        }),
      ),
      config.peers[1] ?? config.peers[0],
    ].filter((p) => p !== undefined),
  });
  const frrConf = (): string => readFileSync(join(dir, 'frr.conf'), 'utf8');
  const plan = async (t: Setup): Promise<void> => {
    t.driver.plan({ snapshot: snapshot(['203.0.113.10', '2001:db8:ff::a']), addresses: ['192.0.2.11'] });
    // The first plan starts the Secret's watch; its first read re-plans (here: by hand).
    await new Promise((r) => setTimeout(r, 0));
    t.driver.plan({ snapshot: snapshot(['203.0.113.10', '2001:db8:ff::a']), addresses: ['192.0.2.11'] });
    await t.driver.settled();
  };

  it('renders the password of the named key; watches only that Secret in its namespace, never logs it', async () => {
    const logs: string[] = [];
    const secrets: FakeSecrets = new Map([['bgp-router', { password: 'hunter2-x', other: 'nope' }]]);
    const t = setup({ config: withPassword(), secrets, logs });
    await plan(t);
    expect(t.started).toEqual(['lb/bgp-router:password']);
    expect(frrConf()).toContain(' neighbor 192.0.2.61 password hunter2-x\n');
    expect(t.events).toEqual([]);
    expect(logs.join('')).not.toContain('hunter2');
  });

  it('renders nothing while the Secret is being read the first time (a restart must not drop the session)', () => {
    let changes = 0;
    const t = setup({
      config: withPassword(),
      secrets: new Map([['bgp-router', { password: 'pw' }]]),
      onChange: () => {
        changes++;
      },
    });
    t.driver.plan({ snapshot: snapshot(['203.0.113.10']), addresses: ['192.0.2.11'] });
    expect(t.driver.hasSynced()).toBe(false);
    expect(t.calls).toEqual([]);
    return new Promise<void>((resolve) => {
      setTimeout(() => {
        // The end of the first read asks for a new plan.
        expect(changes).toBe(1);
        expect(t.driver.hasSynced()).toBe(true);
        resolve();
      }, 0);
    });
  });

  it('a missing Secret or key leaves the peer out (no session without its password), with one event each', async () => {
    const logs: string[] = [];
    const secrets: FakeSecrets = new Map();
    const t = setup({ config: withPassword('pw'), secrets, logs });
    await plan(t);
    // The other peer (IPv6) keeps its session; the IPv4 one is not configured at all.
    expect(frrConf()).not.toContain('192.0.2.61');
    expect(frrConf()).toContain(' neighbor 2001:db8::61 remote-as 64512\n');
    await plan(t);
    expect(t.events).toEqual([
      {
        regarding: { apiVersion: 'ironlb.io/v1alpha1', kind: 'BGPPeer', name: 'router', uid: 'u-router' },
        type: 'Warning',
        reason: 'BGPPasswordUnavailable',
        note: 'PasswordSecretNotFound: node n1: the session with router is not configured: Secret lb/bgp-router not found',
      },
    ]);
    secrets.set('bgp-router', { password: 'wrong-key' });
    await plan(t);
    expect(t.events.map((e) => e.note)).toContain(
      "PasswordKeyNotFound: node n1: the session with router is not configured: Secret lb/bgp-router has no key 'pw'",
    );
    secrets.set('bgp-router', { pw: 'fixed-pw' });
    await plan(t);
    expect(frrConf()).toContain(' neighbor 192.0.2.61 password fixed-pw\n');
    expect(t.events).toHaveLength(2);
    expect(logs.join('')).toContain('BGPPeer password available: the session is configured');
    expect(logs.join('')).not.toContain('fixed-pw');
  });

  it('an invalid value or an unreadable Secret leaves the peer out too', async () => {
    const secrets: FakeSecrets = new Map([['bgp-router', { password: 'with space' }]]);
    const t = setup({ config: withPassword(), secrets });
    await plan(t);
    expect(frrConf()).not.toContain('192.0.2.61');
    expect(t.events.map((e) => e.note.split(':')[0])).toEqual(['PasswordInvalid']);
    expect(t.events[0]?.note).not.toContain('with space');
    const u = setup({ config: withPassword(), secrets: new Map([['bgp-router', 'unreadable']]) });
    await plan(u);
    expect(u.events.map((e) => e.note.split(':')[0])).toEqual(['PasswordSecretUnreadable']);
  });
});

describe('BgpDriver: BGPPeer status', () => {
  it("writes this node's entry of each peer it peers with, by server-side apply under its own field manager", async () => {
    const statuses = new Map<string, ObservedPeerStatus>([
      ['router', { sessions: [{ node: 'n2', state: 'Active' }], summary: '0/1 Established; n2 Active' }],
      ['router-v6', { sessions: [], summary: undefined }],
    ]);
    const poll: CommandResult = {
      code: 0,
      stdout: JSON.stringify({
        ipv4Unicast: { peers: { '192.0.2.61': { state: 'Established' } } },
        ipv6Unicast: { peers: { '2001:db8::61': { state: 'Active' } } },
      }),
      stderr: '',
    };
    const t = setup({ statuses, polls: [poll, poll] });
    t.driver.plan({ snapshot: snapshot([]), addresses: ['192.0.2.11'] });
    await t.driver.settled();
    await t.driver.pollSessions();
    await t.driver.flushStatus();
    const bodies = t.patches.map((p) => [p.name, (p.body as { status: unknown }).status, p.options]);
    const options = {
      contentType: 'application/apply-patch+yaml',
      fieldManager: 'ironlb-speaker-n1',
      force: true,
    };
    expect(bodies).toEqual([
      [
        'router',
        {
          sessions: [{ node: 'n1', state: 'Established', lastChange: expect.any(String) as unknown }],
          summary: '1/2 Established; n2 Active',
        },
        options,
      ],
      [
        'router-v6',
        {
          sessions: [{ node: 'n1', state: 'Active', lastChange: expect.any(String) as unknown }],
          summary: '0/1 Established; n1 Active',
        },
        options,
      ],
    ]);
    // The API server holds it now: nothing more is written.
    statuses.set('router', {
      sessions: [
        { node: 'n1', state: 'Established' },
        { node: 'n2', state: 'Active' },
      ],
      summary: '1/2 Established; n2 Active',
    });
    statuses.set('router-v6', {
      sessions: [{ node: 'n1', state: 'Active' }],
      summary: '0/1 Established; n1 Active',
    });
    await t.driver.pollSessions();
    await t.driver.flushStatus();
    expect(t.patches).toHaveLength(2);
    // FRR lists no session any more: both entries become Idle, with a new lastChange.
    const before = (t.patches[0]?.body as { status: { sessions: { lastChange: string }[] } }).status
      .sessions[0];
    await new Promise((r) => setTimeout(r, 1100));
    await t.driver.pollSessions();
    await t.driver.flushStatus();
    expect(t.patches.map((p) => p.name)).toEqual(['router', 'router-v6', 'router', 'router-v6']);
    const after = (t.patches[2]?.body as { status: { sessions: { state: string; lastChange: string }[] } })
      .status;
    expect(after.sessions[0]?.state).toBe('Idle');
    expect(after.sessions[0]?.lastChange).not.toBe(before?.lastChange);
  });
});
