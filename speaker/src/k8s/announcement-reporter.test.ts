import { KubeApiError, type CoreV1Client } from '@ironlb/shared/kube';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { rankNodes } from '../election/index.js';
import type { IpPlan } from '../planner/index.js';
import { ANNOUNCING_ANNOTATION, AnnouncementReporter } from './announcement-reporter.js';

const DEBOUNCE = 100;
const RETRY_MAX = 1000;

/** What the fake Node PATCH answers next: a status code to fail with, 'network', or 'ok'. */
type Answer = number | 'network' | 'ok';

/** An AnnouncementReporter on node n1 over a fake Node writer and a fake event recorder. */
class Harness {
  /** Answers for the next writes, in order; when empty, writes succeed. */
  answers: Answer[] = [];
  /** Every write: when (fake ms since the start) and the annotation value sent. */
  writes: { at: number; value: string | null }[] = [];
  warnings: string[] = [];
  infos: string[] = [];
  events: { reason: string; type: string; note: string; service: string }[] = [];
  readonly reporter: AnnouncementReporter;
  private readonly t0 = Date.now();

  constructor(self = 'n1', random: () => number = () => 0) {
    const core = {
      patchNode: (args: { body: { metadata: { annotations: Record<string, string | null> } } }) => {
        this.writes.push({
          at: Date.now() - this.t0,
          value: args.body.metadata.annotations[ANNOUNCING_ANNOTATION] ?? null,
        });
        const answer = this.answers.shift() ?? 'ok';
        if (answer === 'ok') return Promise.resolve({});
        if (answer === 'network') return Promise.reject(new TypeError('fetch failed'));
        return Promise.reject(new KubeApiError(answer, `{"message":"m${String(answer)}"}`, 'PATCH node'));
      },
    } as unknown as Pick<CoreV1Client, 'patchNode'>;
    this.reporter = new AnnouncementReporter({
      self,
      core,
      random,
      recorder: {
        emit: (e) => {
          this.events.push({ reason: e.reason, type: e.type, note: e.note, service: e.regarding.name ?? '' });
        },
      },
      logger: {
        warn: (_obj: unknown, msg?: string) => {
          this.warnings.push(msg ?? '');
        },
        info: (msg: unknown) => {
          this.infos.push(String(msg));
        },
      } as never,
      annotationDebounceMs: DEBOUNCE,
      annotationRetryMaxMs: RETRY_MAX,
    });
  }

  writeTimes(): number[] {
    return this.writes.map((w) => w.at);
  }
}

beforeEach(() => {
  vi.useFakeTimers({ now: 0 });
});

afterEach(() => {
  vi.useRealTimers();
});

describe('AnnouncementReporter: the Node annotation', () => {
  it('writes once per burst of changes, after the debounce, sorted; nothing when unchanged', async () => {
    const h = new Harness();
    h.reporter.setAnnounced(['192.0.2.9', '192.0.2.1']);
    h.reporter.setAnnounced(['192.0.2.9', '192.0.2.1', '192.0.2.5']);
    await vi.advanceTimersByTimeAsync(DEBOUNCE - 1);
    expect(h.writes).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(h.writes).toEqual([{ at: DEBOUNCE, value: '192.0.2.1,192.0.2.5,192.0.2.9' }]);
    h.reporter.setAnnounced(['192.0.2.5', '192.0.2.1', '192.0.2.9']);
    await vi.advanceTimersByTimeAsync(10 * DEBOUNCE);
    expect(h.writes).toHaveLength(1);
    h.reporter.setAnnounced([]);
    await vi.advanceTimersByTimeAsync(DEBOUNCE);
    expect(h.writes.at(-1)).toEqual({ at: 12 * DEBOUNCE, value: null });
  });

  it('retries a 409 after the debounce delay', async () => {
    const h = new Harness();
    h.answers = [409, 409];
    h.reporter.setAnnounced(['192.0.2.1']);
    await vi.advanceTimersByTimeAsync(10 * DEBOUNCE);
    expect(h.writeTimes()).toEqual([DEBOUNCE, 2 * DEBOUNCE, 3 * DEBOUNCE]);
    expect(h.writes.every((w) => w.value === '192.0.2.1')).toBe(true);
    expect(h.warnings).toHaveLength(2);
  });

  it('retries a 5xx or a network failure with a backoff doubling up to its cap, and starts over after a success', async () => {
    const h = new Harness();
    h.answers = [503, 500, 'network', 503, 503, 'ok'];
    h.reporter.setAnnounced(['192.0.2.1']);
    await vi.advanceTimersByTimeAsync(20 * RETRY_MAX);
    // First write at 100; waits 200, 400, 800, then the 1000 ms cap.
    expect(h.writeTimes()).toEqual([100, 300, 700, 1500, 2500, 3500]);
    expect(h.warnings).toHaveLength(5);
    // After the success a new failure waits the shortest backoff again.
    h.answers = [503];
    h.reporter.setAnnounced(['192.0.2.2']);
    const before = h.writes.length;
    await vi.advanceTimersByTimeAsync(10 * RETRY_MAX);
    const since = h.writeTimes().slice(before);
    expect(since.map((t) => t - (since[0] ?? 0))).toEqual([0, 2 * DEBOUNCE]);
    expect(h.writes.at(-1)?.value).toBe('192.0.2.2');
  });

  it('takes up to 20 % off each retry backoff at random, the cap included, so speakers do not retry in step', async () => {
    const h = new Harness('n1', () => 0.999);
    h.answers = [503, 503, 503, 503, 503, 'ok'];
    h.reporter.setAnnounced(['192.0.2.1']);
    await vi.advanceTimersByTimeAsync(20 * RETRY_MAX);
    // The debounce (100) is not jittered; then 200, 400, 800, 1000, 1000 less 20 %: 160, 320, 640, 800, 800.
    expect(h.writeTimes()).toEqual([100, 260, 580, 1220, 2020, 2820]);
  });

  it('a 404 (our Node is gone) is logged once and not retried at the debounce interval; a new value retries at once', async () => {
    const h = new Harness();
    h.answers = Array<Answer>(100).fill(404);
    h.reporter.setAnnounced(['192.0.2.1']);
    await vi.advanceTimersByTimeAsync(10_000);
    // Retried at the capped backoff (100, then +200, +400, +800, then every 1000 ms), not every 100 ms.
    expect(h.writeTimes()).toEqual([100, 300, 700, 1500, 2500, 3500, 4500, 5500, 6500, 7500, 8500, 9500]);
    expect(h.warnings).toEqual([expect.stringContaining('our Node is gone') as string]);
    // The same value again (every plan calls setAnnounced) does not cut the wait short.
    const n = h.writes.length;
    h.reporter.setAnnounced(['192.0.2.1']);
    await vi.advanceTimersByTimeAsync(DEBOUNCE);
    expect(h.writes).toHaveLength(n);
    // What we announce changed: written after the debounce delay, not after the rest of the backoff.
    h.answers = [];
    h.reporter.setAnnounced(['192.0.2.1', '192.0.2.2']);
    await vi.advanceTimersByTimeAsync(DEBOUNCE);
    expect(h.writes).toHaveLength(n + 1);
    expect(h.writes.at(-1)).toEqual({ at: 10_000 + 2 * DEBOUNCE, value: '192.0.2.1,192.0.2.2' });
    expect(h.infos).toEqual([expect.stringContaining('Node is back') as string]);
    // Nothing more to write.
    await vi.advanceTimersByTimeAsync(10_000);
    expect(h.writes).toHaveLength(n + 1);
    // A later 404 is a new episode: logged again.
    h.answers = [404];
    h.reporter.setAnnounced(['192.0.2.3']);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(h.warnings.filter((w) => w.includes('our Node is gone'))).toHaveLength(2);
    expect(h.writes.at(-1)?.value).toBe('192.0.2.3');
  });

  it('a Node re-created under the same name gets the annotation within the backoff cap', async () => {
    const h = new Harness();
    h.answers = [404, 404, 404];
    h.reporter.setAnnounced(['192.0.2.1']);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(h.writeTimes()).toEqual([100, 300, 700, 1500]);
    expect(h.writes.at(-1)?.value).toBe('192.0.2.1');
  });

  it('stop() cancels pending retries, ignores an answer arriving after it, and clears the annotation', async () => {
    const h = new Harness();
    h.answers = [503];
    h.reporter.setAnnounced(['192.0.2.1']);
    await vi.advanceTimersByTimeAsync(DEBOUNCE);
    expect(h.writes).toHaveLength(1);
    await h.reporter.stop({ clear: true });
    expect(h.writes.at(-1)).toEqual({ at: DEBOUNCE, value: null });
    h.reporter.setAnnounced(['192.0.2.2']);
    await vi.advanceTimersByTimeAsync(10 * RETRY_MAX);
    expect(h.writes).toHaveLength(2);
  });
});

describe('AnnouncementReporter: events', () => {
  const IP = '192.0.2.7';
  const service = { namespace: 'ns', name: 'web', uid: 'uid-web' };
  const plan = (
    announcer: string | null,
    reason: 'NodeNotReady' | 'NoL2Announcement' = 'NodeNotReady',
  ): IpPlan => ({
    ip: IP,
    pool: 'lan',
    services: [service],
    announcer,
    candidates: announcer === null ? [] : [announcer],
    announcements: ['all'],
    nodes: ['n1', 'n2'].map((node) => ({
      node,
      ineligible: announcer === null ? { reason, message: `${node} is ${reason}` } : null,
    })),
  });
  const alive = new Set(['n1', 'n2']);
  const interfacesOf = (): string[] => ['eth0'];

  it('emits Announcing when this node takes an IP over, and counts announcer changes', () => {
    const h = new Harness('n1');
    expect(h.reporter.report({ plans: [plan('n2')], alive, interfacesOf })).toBe(0);
    expect(h.events).toEqual([]);
    expect(h.reporter.report({ plans: [plan('n1')], alive, interfacesOf })).toBe(1);
    expect(h.events).toEqual([
      {
        reason: 'Announcing',
        type: 'Normal',
        service: 'web',
        note: `${IP} is announced by node n1 on eth0 via ARP (took over from n2)`,
      },
    ]);
    expect(h.reporter.report({ plans: [plan('n1')], alive, interfacesOf })).toBe(0);
    expect(h.events).toHaveLength(1);
  });

  it('NotAnnounced comes from exactly one alive speaker, and not when no L2Announcement covers the pool', () => {
    const speakers = ['n1', 'n2'].map((n) => new Harness(n));
    for (const s of speakers) s.reporter.report({ plans: [plan(null)], alive, interfacesOf });
    const first = rankNodes(IP, [...alive])[0]?.node;
    expect(speakers.map((s) => s.events.map((e) => e.reason))).toEqual(
      ['n1', 'n2'].map((n) => (n === first ? ['NotAnnounced'] : [])),
    );
    const uncovered = new Harness(first);
    uncovered.reporter.report({ plans: [plan(null, 'NoL2Announcement')], alive, interfacesOf });
    expect(uncovered.events).toEqual([]);
  });
});
