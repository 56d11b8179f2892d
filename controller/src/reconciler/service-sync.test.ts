import { ApiException, type V1Service } from '@kubernetes/client-node';
import { ALLOCATED_FROM_POOL_ANNOTATION } from '@ironlb/shared';
import { type CoreV1Client, limit } from '@ironlb/shared/kube';
import { describe, expect, it } from 'vitest';
import { ServiceSync } from './service-sync.js';

const apiError = (code: number): ApiException<string> =>
  new ApiException(
    code,
    `HTTP-Code: ${code}`,
    JSON.stringify({ kind: 'Status', code, message: `m${code}` }),
    {},
  );

interface Call {
  readonly kind: 'status' | 'annotation';
  readonly rv: string | undefined;
  readonly body: unknown;
}

/**
 * A CoreV1Client stand-in for the two writes: each successful write bumps the resourceVersion (like the
 * API server); `failNext` makes the next write of that kind throw.
 */
function fakeApi(): {
  core: Pick<CoreV1Client, 'patchNamespacedServiceStatus' | 'patchNamespacedService'>;
  calls: Call[];
  failNext: (kind: Call['kind'], error: unknown) => void;
} {
  const calls: Call[] = [];
  const failures = new Map<Call['kind'], unknown>();
  let rv = 10;
  const write = (
    kind: Call['kind'],
    args: { body: { metadata?: { resourceVersion?: string } } },
  ): Promise<V1Service> => {
    calls.push({ kind, rv: args.body.metadata?.resourceVersion, body: args.body });
    const error = failures.get(kind);
    if (error !== undefined) {
      failures.delete(kind);
      return Promise.reject(error instanceof Error ? error : new Error('bad fake'));
    }
    rv += 1;
    return Promise.resolve({ metadata: { name: 'web', namespace: 'shop', resourceVersion: String(rv) } });
  };
  const core = {
    patchNamespacedServiceStatus: (args: never) => write('status', args),
    patchNamespacedService: (args: never) => write('annotation', args),
  } as unknown as Pick<CoreV1Client, 'patchNamespacedServiceStatus' | 'patchNamespacedService'>;
  return {
    core,
    calls,
    failNext: (kind, error) => {
      failures.set(kind, error);
    },
  };
}

function service(rv: string, o: { ips?: string[]; pool?: string } = {}): V1Service {
  return {
    metadata: {
      name: 'web',
      namespace: 'shop',
      resourceVersion: rv,
      ...(o.pool === undefined ? {} : { annotations: { [ALLOCATED_FROM_POOL_ANNOTATION]: o.pool } }),
    },
    status: { loadBalancer: { ingress: (o.ips ?? []).map((ip) => ({ ip })) } },
  };
}

const KEY = 'shop/web';
const desired = { ips: ['192.0.2.10'], pools: 'blue' };

function newSync(): { sync: ServiceSync; api: ReturnType<typeof fakeApi> } {
  const api = fakeApi();
  const sync = new ServiceSync({ core: api.core, limiter: limit(4), signal: new AbortController().signal });
  return { sync, api };
}

describe('ServiceSync', () => {
  it('writes status (under the cached resourceVersion) then the annotation, and nothing when both match', async () => {
    const { sync, api } = newSync();
    expect(await sync.sync(service('5'), { key: KEY, desired })).toEqual({ kind: 'synced' });
    expect(api.calls.map((c) => [c.kind, c.rv])).toEqual([
      ['status', '5'],
      ['annotation', undefined],
    ]);
    expect(api.calls[1]?.body).toEqual({
      metadata: { annotations: { [ALLOCATED_FROM_POOL_ANNOTATION]: 'blue' } },
    });
    api.calls.length = 0;
    // The informer caught up (rv 12 carries both writes): nothing to do.
    const caughtUp = service('12', { ips: ['192.0.2.10'], pool: 'blue' });
    expect(await sync.sync(caughtUp, { key: KEY, desired })).toEqual({ kind: 'synced' });
    expect(api.calls).toEqual([]);
  });

  it('keeps a record only while the cache lags it: once the cache has passed our writes it is dropped', async () => {
    const { sync } = newSync();
    await sync.sync(service('5'), { key: KEY, desired });
    const db: V1Service = { metadata: { name: 'db', namespace: 'shop', resourceVersion: '5' } };
    await sync.sync(db, { key: 'shop/db', desired });
    expect(sync.lagging).toBe(2);
    // Still stale for shop/web (rv 11 is the status write, superseded by our annotation write at 12).
    expect(sync.current(service('11', { ips: ['192.0.2.10'] }), KEY)).toMatchObject({ pools: 'blue' });
    expect(sync.lagging).toBe(2);
    // The cache reached 12: the record goes, and the cache is the truth from now on.
    const caughtUp = service('12', { ips: ['192.0.2.10'], pool: 'blue' });
    expect(sync.current(caughtUp, KEY)).toEqual(desired);
    expect(sync.lagging).toBe(1);
  });

  it('while the cache lags its own writes, what it wrote is the truth: no duplicate write', async () => {
    const { sync, api } = newSync();
    const stale = service('5');
    await sync.sync(stale, { key: KEY, desired });
    expect(sync.current(stale, KEY)).toMatchObject({ ...desired, latestRV: '12' });
    api.calls.length = 0;
    expect(await sync.sync(stale, { key: KEY, desired })).toEqual({ kind: 'synced' });
    expect(api.calls).toEqual([]);
    // A changed desire while still stale writes from our last version (12), not the cache's (5).
    await sync.sync(stale, { key: KEY, desired: { ips: [], pools: null } });
    expect(api.calls.map((c) => [c.kind, c.rv])).toEqual([
      ['status', '12'],
      ['annotation', undefined],
    ]);
    // forget() drops the record: the cache is believed again.
    sync.forget(KEY);
    expect(sync.current(stale, KEY)).toEqual({ ips: [], pools: null });
  });

  it('status 409 is a conflict to retry; nothing else is written', async () => {
    const { sync, api } = newSync();
    api.failNext('status', apiError(409));
    const r = await sync.sync(service('5'), { key: KEY, desired });
    expect(r).toEqual({
      kind: 'failed',
      outcome: 'retry',
      what: 'status',
      message: 'HTTP 409: m409',
      conflict: true,
    });
    expect(api.calls.map((c) => c.kind)).toEqual(['status']);
  });

  it('status 404 is done (the Service is gone; its delete event forgets it)', async () => {
    const { sync, api } = newSync();
    api.failNext('status', apiError(404));
    const r = await sync.sync(service('5'), { key: KEY, desired });
    expect(r.kind === 'failed' && [r.outcome, r.conflict]).toEqual(['done', false]);
  });

  it.each([
    { name: '404', error: apiError(404), outcome: 'done', conflict: false },
    { name: '409', error: apiError(409), outcome: 'retry', conflict: true },
    { name: '5xx', error: apiError(503), outcome: 'retry', conflict: false },
    { name: 'network error', error: new TypeError('fetch failed'), outcome: 'retry', conflict: false },
  ])('annotation $name fails like a status write would', async ({ error, outcome, conflict }) => {
    const { sync, api } = newSync();
    api.failNext('annotation', error);
    const r = await sync.sync(service('5'), { key: KEY, desired });
    expect(r.kind === 'failed' && { what: r.what, outcome: r.outcome, conflict: r.conflict }).toEqual({
      what: 'annotation',
      outcome,
      conflict,
    });
    // The status write went through and is remembered: the retry only writes the annotation.
    api.calls.length = 0;
    expect(await sync.sync(service('5'), { key: KEY, desired })).toEqual({ kind: 'synced' });
    expect(api.calls.map((c) => c.kind)).toEqual(['annotation']);
  });

  it('status 5xx and network errors are retried without the conflict flag', async () => {
    for (const error of [apiError(500), new TypeError('fetch failed')]) {
      const { sync, api } = newSync();
      api.failNext('status', error);
      const r = await sync.sync(service('5'), { key: KEY, desired });
      expect(r.kind === 'failed' && [r.what, r.outcome, r.conflict]).toEqual(['status', 'retry', false]);
    }
  });

  it('writes nothing after leadership ended', async () => {
    const api = fakeApi();
    const sync = new ServiceSync({ core: api.core, limiter: limit(1), signal: AbortSignal.abort() });
    const r = await sync.sync(service('5'), { key: KEY, desired });
    expect(r.kind === 'failed' && r.outcome).toBe('retry');
    expect(api.calls).toEqual([]);
  });
});
