import {
  parseIPPool,
  parseL2Announcement,
  type IPPoolConfig,
  type L2AnnouncementConfig,
} from '@ironlb/shared';
import {
  EventRecorder,
  KubeApiError,
  type CoreV1Client,
  type EventsApi,
  type KubeClients,
} from '@ironlb/shared/kube';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { rankNodes } from './election/election.js';
import { ownerTag } from './election/freshness.js';
import { ANNOUNCING_ANNOTATION, AnnouncementReporter } from './k8s/announcement-reporter.js';
import { ClusterView } from './k8s/cluster-view.js';
import { CLUSTER_PATHS, startFakeClusterApi, type FakeClusterApi } from './k8s/testing/fake-cluster-api.js';
import type { LocalState, PeerReport } from './membership/types.js';
import { createSpeakerMetrics, type SpeakerMetrics } from './metrics.js';
import type { ServiceView } from './planner/index.js';
import { Speaker } from './speaker.js';
import type { SpeakerHooks, SpeakerParts } from './speaker-parts.js';

const IP_TEXT = '2001:DB8:0::7';
const IP = '2001:db8::7';
const NODES = ['n1', 'n2', 'n3'];
const [FIRST, SECOND, THIRD] = rankNodes(IP, NODES).map((r) => r.node) as [string, string, string];
const SERVICE: ServiceView = {
  namespace: 'default',
  name: 'web',
  uid: 'uid-web',
  ips: [IP_TEXT],
  externalTrafficPolicy: 'Cluster',
  endpoints: [],
};
const TAG = ownerTag([SERVICE]);
const GRACE = 40;

function pool(): IPPoolConfig {
  const r = parseIPPool({ metadata: { name: 'lan' }, spec: { addresses: ['2001:db8::/120'] } });
  if (!r.ok) throw new Error(r.error.join('; '));
  return r.value;
}

function l2(): L2AnnouncementConfig {
  const r = parseL2Announcement({ metadata: { name: 'all' }, spec: {} });
  if (!r.ok) throw new Error(r.error.join('; '));
  return r.value;
}

function report(node: string, claims: Record<string, number>, stale = false): PeerReport {
  return { node, stale, stalenessMs: stale ? 10_000 : 0, claims: new Map(Object.entries(claims)), macs: [] };
}

/** How the fake API server answers the speaker's writes: an HTTP status, or never ('hang'). */
type WriteAnswer = number | 'hang';

/** A fake API server for the speaker's writes: every Node annotation write gets `annotation`, every event `event`. */
class FakeWrites {
  /** Reasons of the events the recorder tried to create. */
  events: string[] = [];
  /** Values of the annotation writes tried. */
  annotations: (string | null)[] = [];

  constructor(
    readonly annotation: WriteAnswer,
    readonly event: number = typeof annotation === 'number' ? annotation : 503,
  ) {}

  core(): Pick<CoreV1Client, 'patchNode'> {
    return {
      patchNode: (args: { body: { metadata: { annotations: Record<string, string | null> } } }) => {
        this.annotations.push(args.body.metadata.annotations[ANNOUNCING_ANNOTATION] ?? null);
        return this.fail(this.annotation, 'PATCH node');
      },
    } as unknown as Pick<CoreV1Client, 'patchNode'>;
  }

  eventsApi(): EventsApi {
    return {
      createNamespacedEvent: (p) => {
        this.events.push(p.body.reason ?? '');
        return this.fail(this.event, 'POST event');
      },
      patchNamespacedEvent: () => this.fail(this.event, 'PATCH event'),
    };
  }

  private fail(answer: WriteAnswer, what: string): Promise<never> {
    if (answer === 'hang') return new Promise<never>(() => {});
    return Promise.reject(new KubeApiError(answer, `{"message":"m${String(answer)}"}`, what));
  }
}

interface HarnessOptions {
  /** Real event recorder and announcement reporter over these failing writes (default: stubs). */
  writes?: FakeWrites;
  /** A real ClusterView over this fake API server (default: a fixed snapshot). */
  api?: FakeClusterApi;
  /** --claim-settle (default: the default, with a view confirmed fresh long ago, i.e. settled). */
  settleMs?: number;
  /** --handover (default 1 ms). */
  handoverMs?: number;
}

/** A speaker on `self` with fake parts; the test drives membership, peers' claims and freshness. */
class Harness {
  alive = new Set(NODES);
  peers = new Map<string, PeerReport>();
  stale = false;
  /** How long the fake view takes to sync (its start()), ms. */
  viewSyncMs = 0;
  /** performance.now() of the first setPeers and of the first announcer.apply. */
  peersSetAt: number | null = null;
  firstAppliedAt: number | null = null;
  /** Start of the confirmed fresh spell of the fake view (performance.now clock). */
  freshSince = Number.NEGATIVE_INFINITY;
  published: LocalState[] = [];
  desired = new Map<string, ReadonlySet<string>>();
  reasserted: string[] = [];
  /** Full plans so far (the announcer is applied only once the warm-up is over). */
  applied = 0;
  events: { reason: string; note: string }[] = [];
  calls: string[] = [];
  hooks: SpeakerHooks | null = null;
  readonly metrics: SpeakerMetrics = createSpeakerMetrics(new Registry());
  readonly speaker: Speaker;
  private readonly controller = new AbortController();

  constructor(
    readonly self: string,
    private readonly fakes: HarnessOptions = {},
  ) {
    this.speaker = new Speaker({
      nodeName: self,
      clients: {} as KubeClients,
      logger: pino({ level: process.env.SPEAKER_TEST_LOG ?? 'silent' }),
      metrics: this.metrics,
      membership: {
        secret: new Uint8Array(16),
        bindAddress: '::',
        port: 1,
        intervalMs: 5,
        timeoutMs: 10,
        stallToleranceMs: 10,
      },
      conflictProbeIntervalMs: 0,
      handoverMs: fakes.handoverMs ?? 1,
      resyncMs: 60_000,
      election: {
        claimGraceMs: GRACE,
        staleAfterMs: 3000,
        ...(fakes.settleMs === undefined ? {} : { claimSettleMs: fakes.settleMs }),
      },
      parts: (hooks) => {
        this.hooks = hooks;
        return this.parts(hooks);
      },
    });
  }

  async start(): Promise<void> {
    await this.speaker.start(this.controller.signal);
    // Warm-up is 15 ms (timeout + interval); the speaker plans when it ends.
    await eventually(() => {
      expect(this.applied).toBeGreaterThan(0);
    });
  }

  announces(): boolean {
    return this.desired.get('eth0')?.has(IP_TEXT) ?? false;
  }

  lastClaims(): ReadonlyMap<string, number> | undefined {
    return this.published.at(-1)?.claims;
  }

  async stop(): Promise<void> {
    await this.speaker.stop();
    this.controller.abort();
  }

  private parts(hooks: SpeakerHooks): SpeakerParts {
    const ok = async (): Promise<void> => {};
    const { writes, api } = this.fakes;
    const logger = pino({ level: process.env.SPEAKER_TEST_LOG ?? 'silent' });
    const recorder: SpeakerParts['recorder'] =
      writes === undefined
        ? {
            start: () => {},
            stop: ok,
            emit: (e) => {
              this.events.push({ reason: e.reason, note: e.note });
            },
          }
        : new EventRecorder({
            events: writes.eventsApi(),
            reportingController: 'ironlb.io/speaker',
            reportingInstance: this.self,
            logger,
          });
    const view: SpeakerParts['view'] | undefined =
      api === undefined
        ? undefined
        : new ClusterView({
            clients: api.clients,
            logger,
            onChange: hooks.onViewChange,
            loadBalancerClass: undefined,
          });
    return {
      view: view ?? {
        start: () => new Promise<void>((r) => setTimeout(r, this.viewSyncMs)),
        stop: ok,
        hasSynced: () => true,
        snapshot: () => ({
          services: [SERVICE],
          nodes: NODES.map((name) => ({ name, labels: {}, ready: true, networkUnavailable: false })),
          pools: [pool()],
          announcements: [l2()],
        }),
        nodeAddresses: () => new Map(NODES.map((n, i) => [n, [`2001:db8:1::${String(i + 1)}`]])),
      },
      membership: {
        start: ok,
        stop: async () => {
          this.calls.push('membership.stop');
          await ok();
        },
        leave: async () => {
          this.calls.push('leave');
          await ok();
        },
        setPeers: () => {
          this.peersSetAt ??= performance.now();
        },
        alive: () => new Set(this.alive),
        peers: () => new Map([...this.peers].filter(([n]) => this.alive.has(n))),
        publish: (state) => {
          this.published.push(state);
        },
        peerMacs: () => new Map(),
      },
      announcer: {
        start: () => {},
        stop: () => {
          this.calls.push('announcer.stop');
        },
        apply: (desired) => {
          this.firstAppliedAt ??= performance.now();
          this.applied += 1;
          this.desired = new Map(desired);
        },
        reassert: (ips) => {
          this.reasserted.push(...ips);
        },
        announced: () => {
          const out = new Map<string, string[]>();
          for (const [iface, ips] of this.desired)
            for (const ip of ips) out.set(ip, [...(out.get(ip) ?? []), iface]);
          return out;
        },
      },
      freshness: {
        start: () => {},
        stop: () => {},
        stalenessMs: () => (this.stale ? 10_000 : 0),
        stale: () => this.stale,
        freshSinceMs: () => (this.stale ? null : this.freshSince),
      },
      recorder,
      reporter:
        writes === undefined
          ? { report: () => 0, setAnnounced: () => {}, stop: ok, conflict: () => {} }
          : new AnnouncementReporter({
              self: this.self,
              recorder,
              core: writes.core(),
              logger,
              annotationDebounceMs: 10,
              annotationRetryMaxMs: 100,
            }),
      interfaces: () => ({
        eth0: [
          {
            address: `2001:db8:1::${String(NODES.indexOf(this.self) + 1)}`,
            netmask: 'ffff:ffff:ffff:ffff::',
            family: 'IPv6',
            mac: '02:00:00:00:00:01',
            internal: false,
            cidr: null,
            scopeid: 0,
          },
        ],
      }),
    };
  }
}

/** Waits (generously: the machine may be loaded) until the assertion holds. */
async function eventually(check: () => void): Promise<void> {
  await vi.waitFor(check, { timeout: 10_000 });
}

let harness: Harness | null = null;
async function started(
  self: string,
  setup: (h: Harness) => void = () => {},
  fakes: HarnessOptions = {},
): Promise<Harness> {
  harness = new Harness(self, fakes);
  setup(harness);
  await harness.start();
  return harness;
}

afterEach(async () => {
  await harness?.stop();
  harness = null;
});

// Generous timeouts: the machine running unit tests may be loaded; nothing here measures speed.
describe('Speaker with the claim election', { timeout: 30_000 }, () => {
  it('announces an IP it ranks first and publishes it as a claim (canonical IP, owner tag) with its MACs', async () => {
    const h = await started(FIRST);
    expect(h.announces()).toBe(true);
    expect(h.lastClaims()).toEqual(new Map([[IP, TAG]]));
    expect(h.published.at(-1)).toMatchObject({ stale: false, macs: ['02:00:00:00:00:01'] });
  });

  it('publishes its MACs during the warm-up, before it announces anything', async () => {
    harness = new Harness(FIRST);
    await harness.speaker.start(new AbortController().signal);
    expect(harness.applied).toBe(0);
    expect(harness.published.at(-1)).toMatchObject({ macs: ['02:00:00:00:00:01'], claims: new Map() });
  });

  it('a view that syncs after the warm-up: still hears its peers for a whole warm-up before announcing', async () => {
    const h = await started(FIRST, (x) => {
      x.viewSyncMs = 200;
    });
    expect(h.peersSetAt).not.toBeNull();
    expect(h.firstAppliedAt).not.toBeNull();
    expect((h.firstAppliedAt ?? 0) - (h.peersSetAt ?? 0)).toBeGreaterThanOrEqual(15);
  });

  it('warm-up: waits past its wall-clock end until every known peer is heard (a starved speaker reads them late)', async () => {
    harness = new Harness(FIRST, { settleMs: 5000 });
    const x = harness;
    x.alive = new Set([FIRST]); // nobody heard yet
    x.peers.set(SECOND, report(SECOND, { [IP]: TAG }));
    await x.speaker.start(new AbortController().signal);
    await new Promise((r) => setTimeout(r, 200)); // well past the 15 ms warm-up
    expect(x.applied).toBe(0);
    expect(x.speaker.ready()).toEqual({ ok: false, reason: 'hearing peers before announcing' });
    x.alive = new Set(NODES);
    x.hooks?.onMembershipChange([
      { node: SECOND, alive: true, reason: 'heartbeat received' },
      { node: THIRD, alive: true, reason: 'heartbeat received' },
    ]);
    expect(x.applied).toBe(1);
    expect(x.announces()).toBe(true); // settled long ago in this harness: first in rank, it takes the IP
  });

  it('warm-up: a peer never heard holds it back at most the settle time', async () => {
    const t0 = performance.now();
    const h = await started(
      FIRST,
      (x) => {
        x.alive = new Set([FIRST, SECOND]);
      },
      { settleMs: 300 },
    );
    expect(performance.now() - t0).toBeGreaterThanOrEqual(300);
    expect(h.announces()).toBe(true);
  });

  it('defers to the first-ranked peer that claims the IP (steady state: one announcer)', async () => {
    const h = await started(SECOND, (x) => {
      x.peers.set(FIRST, report(FIRST, { [IP]: TAG }));
    });
    await new Promise((r) => setTimeout(r, GRACE * 3));
    h.hooks?.onPeerState(FIRST);
    await new Promise((r) => setImmediate(r));
    expect(h.announces()).toBe(false);
    expect(h.lastClaims()).toEqual(new Map());
    expect(h.events).toEqual([]);
  });

  it('takes over after the grace when the first-ranked peer does not claim, with a Warning event and a counter naming it', async () => {
    const h = await started(SECOND, (x) => {
      x.peers.set(FIRST, report(FIRST, {}));
    });
    expect(h.announces()).toBe(false);
    // The grace timer re-plans by itself.
    await eventually(() => {
      expect(h.announces()).toBe(true);
    });
    expect(h.lastClaims()).toEqual(new Map([[IP, TAG]]));
    expect(h.events).toEqual([
      {
        reason: 'PeerDidNotClaim',
        note: expect.stringContaining(`node ${FIRST} ranks first for ${IP}`) as string,
      },
    ]);
    const counter = await h.metrics.peerUnclaimed.get();
    expect(counter.values).toEqual([expect.objectContaining({ labels: { peer: FIRST }, value: 1 })]);
    // The first-ranked peer claims at last: we hand it back, and the episode ends without a second event.
    h.peers.set(FIRST, report(FIRST, { [IP]: TAG }));
    h.hooks?.onPeerState(FIRST);
    await eventually(() => {
      expect(h.announces()).toBe(false);
    });
    expect(h.events).toHaveLength(1);
  });

  it('skips a stale first-ranked peer at once', async () => {
    const h = await started(SECOND, (x) => {
      x.peers.set(FIRST, report(FIRST, {}, true));
    });
    expect(h.announces()).toBe(true);
    expect(h.events.map((e) => e.reason)).toEqual(['PeerDidNotClaim']);
  });

  it('yields when its own view is stale and a fresh peer claims the IP', async () => {
    const h = await started(FIRST, (x) => {
      x.stale = true;
      x.peers.set(THIRD, report(THIRD, { [IP]: TAG + 1 }));
    });
    expect(h.announces()).toBe(false);
    expect(h.published.at(-1)).toMatchObject({ stale: true, stalenessMs: 10_000 });
    // Its view becomes fresh again: it is first in rank and as fresh, so it takes the IP back.
    h.stale = false;
    h.hooks?.onStaleChange(false, 0);
    expect(h.announces()).toBe(true);
  });

  it('restarted with a view not settled yet: leaves the IP to the peer announcing it and is unready, then takes it back once settled', async () => {
    const h = await started(
      FIRST,
      (x) => {
        x.freshSince = performance.now();
        x.peers.set(SECOND, report(SECOND, { [IP]: TAG }));
      },
      { settleMs: 400 },
    );
    expect(h.announces()).toBe(false);
    expect(h.speaker.ready()).toEqual({ ok: false, reason: 'view of the API server not settled yet' });
    await eventually(() => {
      expect(h.announces()).toBe(true);
    });
    expect(h.speaker.ready()).toEqual({ ok: true });
    expect(h.events).toEqual([]);
  });

  it('a stale spell restarts the settle: after yielding to a fresher claimer it does not take the IP back at once', async () => {
    const h = await started(
      FIRST,
      (x) => {
        x.peers.set(SECOND, report(SECOND, { [IP]: TAG }));
      },
      { settleMs: 400 },
    );
    expect(h.announces()).toBe(true); // settled long ago: first in rank, it takes the IP
    expect(h.speaker.ready()).toEqual({ ok: true });
    h.stale = true;
    h.hooks?.onStaleChange(true, 4000);
    expect(h.announces()).toBe(false); // the peer still claims and is fresher
    h.stale = false;
    h.freshSince = performance.now();
    h.hooks?.onStaleChange(false, 0);
    expect(h.announces()).toBe(false); // fresh again, but not settled: no move back yet
    expect(h.speaker.ready()).toEqual({ ok: true }); // readiness, once reached, stays
    await eventually(() => {
      expect(h.announces()).toBe(true);
    });
  });

  it('sends a fresh gratuitous burst when a peer that also answered for its IP withdraws', async () => {
    const h = await started(FIRST, (x) => {
      x.peers.set(SECOND, report(SECOND, { [IP]: TAG }));
    });
    expect(h.announces()).toBe(true);
    expect(h.reasserted).toEqual([]);
    h.peers.set(SECOND, report(SECOND, {}));
    h.hooks?.onPeerState(SECOND);
    await eventually(() => {
      expect(h.reasserted).toEqual([IP_TEXT]);
    });
    // Only once: the IP is no longer contested.
    h.hooks?.onPeerState(SECOND);
    await new Promise((r) => setImmediate(r));
    expect(h.reasserted).toEqual([IP_TEXT]);
  });

  it('fails over synchronously when the announcing peer dies (no timer, no API server)', async () => {
    const h = await started(SECOND, (x) => {
      x.peers.set(FIRST, report(FIRST, { [IP]: TAG }));
      x.peers.set(THIRD, report(THIRD, {}));
    });
    expect(h.announces()).toBe(false);
    h.alive.delete(FIRST);
    h.hooks?.onMembershipChange([{ node: FIRST, alive: false, reason: 'timeout' }]);
    expect(h.announces()).toBe(true);
  });

  it('stop() tells peers it leaves, keeps answering for the handover, then stops announcing', async () => {
    const h = await started(FIRST, () => {}, { handoverMs: 300 });
    const t0 = performance.now();
    await h.speaker.stop();
    expect(performance.now() - t0).toBeGreaterThanOrEqual(295); // no peer claims the IP: the whole handover
    expect(h.calls.slice(0, 2)).toEqual(['leave', 'announcer.stop']);
    expect(h.calls).toContain('membership.stop');
    harness = null;
  });

  it('hands over: stops answering an IP as soon as a peer claims it, else keeps answering for the whole handover', async () => {
    const h = await started(FIRST, () => {}, { handoverMs: 3000 });
    expect(h.announces()).toBe(true);
    const t0 = performance.now();
    const stopping = h.speaker.stop();
    await new Promise((r) => setTimeout(r, 50));
    expect(h.announces()).toBe(true); // nobody claims it yet: still answering
    h.peers.set(SECOND, report(SECOND, { [IP]: TAG }));
    await stopping;
    expect(h.announces()).toBe(false);
    expect(performance.now() - t0).toBeLessThan(2500);
    harness = null;
  });

  it('plans nothing once stop() began: peers and the view changing during and after the handover announce nothing again', async () => {
    const h = await started(FIRST);
    const applied = h.applied;
    const stopping = h.speaker.stop();
    h.hooks?.onMembershipChange([{ node: SECOND, alive: false, reason: 'speaker is leaving' }]);
    await stopping;
    h.hooks?.onPeerState(SECOND);
    h.hooks?.onViewChange();
    h.hooks?.onMembershipChange([{ node: THIRD, alive: false, reason: 'timeout' }]);
    await new Promise((r) => setImmediate(r));
    expect(h.applied).toBe(applied);
    harness = null;
  });
});

describe('Speaker when API calls fail', { timeout: 30_000 }, () => {
  it.each([409, 404, 503])(
    'fails over, announces and hands back while every event and Node annotation write answers %i; the annotation write is retried',
    async (code) => {
      const writes = new FakeWrites(code);
      const h = await started(
        SECOND,
        (x) => {
          x.peers.set(FIRST, report(FIRST, { [IP]: TAG }));
          x.peers.set(THIRD, report(THIRD, {}));
        },
        { writes },
      );
      expect(h.announces()).toBe(false);
      h.alive.delete(FIRST);
      h.hooks?.onMembershipChange([{ node: FIRST, alive: false, reason: 'timeout' }]);
      expect(h.announces()).toBe(true);
      expect(h.lastClaims()).toEqual(new Map([[IP, TAG]]));
      // The Announcing event was tried once (failed, logged); the annotation write keeps being retried.
      await vi.waitFor(
        () => {
          expect(writes.events).toEqual(['Announcing']);
          expect(writes.annotations.filter((a) => a === IP_TEXT).length).toBeGreaterThanOrEqual(2);
        },
        { timeout: 10_000 },
      );
      // Plans go on: the first-ranked peer is back and claims the IP, we hand it back.
      h.alive.add(FIRST);
      h.hooks?.onMembershipChange([{ node: FIRST, alive: true, reason: 'heartbeat' }]);
      await eventually(() => {
        expect(h.announces()).toBe(false);
      });
      expect(h.lastClaims()).toEqual(new Map());
      // stop() completes and still tries to clear the annotation.
      await h.speaker.stop();
      harness = null;
      expect(writes.annotations.at(-1)).toBeNull();
      expect(h.calls).toEqual(['leave', 'announcer.stop', 'membership.stop']);
    },
  );

  it('stop() completes when the Node annotation write never answers (the clear is bounded)', async () => {
    const writes = new FakeWrites('hang');
    const h = await started(FIRST, () => {}, { writes });
    expect(h.announces()).toBe(true);
    await eventually(() => {
      expect(writes.annotations).toContain(IP_TEXT);
    });
    await h.speaker.stop();
    harness = null;
    expect(writes.annotations.at(-1)).toBeNull();
    expect(h.calls).toEqual(['leave', 'announcer.stop', 'membership.stop']);
  });

  it('keeps announcing through watch errors and 503s (the view keeps its last LIST), and follows the view once the API server is back', async () => {
    const api = await startFakeClusterApi({
      [CLUSTER_PATHS.services]: [
        {
          metadata: { namespace: 'default', name: 'web', uid: 'uid-web', resourceVersion: '5' },
          spec: { type: 'LoadBalancer' },
          status: { loadBalancer: { ingress: [{ ip: IP_TEXT }] } },
        },
      ],
      [CLUSTER_PATHS.nodes]: NODES.map((name, i) => ({
        metadata: { name, resourceVersion: '5' },
        status: {
          conditions: [{ type: 'Ready', status: 'True' }],
          addresses: [{ type: 'InternalIP', address: `2001:db8:1::${String(i + 1)}` }],
        },
      })),
      [CLUSTER_PATHS.pools]: [
        { metadata: { name: 'lan', uid: 'uid-lan' }, spec: { addresses: ['2001:db8::/120'] } },
      ],
      [CLUSTER_PATHS.announcements]: [{ metadata: { name: 'all', uid: 'uid-all' }, spec: {} }],
    });
    try {
      const h = await started(FIRST, () => {}, { api });
      expect(h.announces()).toBe(true);
      api.failWith = 503;
      api.breakWatches(500);
      const failedBefore = api.failed;
      await eventually(() => {
        expect(api.failed).toBeGreaterThan(failedBefore);
      });
      // Meanwhile the Service is deleted; the speaker cannot know and keeps announcing, also after a re-plan.
      api.replace(CLUSTER_PATHS.services, []);
      h.hooks?.onMembershipChange([{ node: THIRD, alive: true, reason: 'heartbeat' }]);
      expect(h.announces()).toBe(true);
      expect(h.lastClaims()).toEqual(new Map([[IP, TAG]]));
      // The API server answers again: the view lists again and the speaker withdraws the IP.
      api.failWith = undefined;
      await vi.waitFor(
        () => {
          expect(h.announces()).toBe(false);
        },
        { timeout: 15_000 },
      );
      expect(h.lastClaims()).toEqual(new Map());
    } finally {
      await harness?.stop();
      harness = null;
      await api.close();
    }
  });
});
