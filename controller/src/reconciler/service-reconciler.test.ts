import { ApiException, type V1Namespace, type V1Service } from '@kubernetes/client-node';
import { ALLOCATED_FROM_POOL_ANNOTATION, type L2AnnouncementConfig } from '@ironlb/shared';
import { type CoreV1Client, type EventInput, type Informer, limit } from '@ironlb/shared/kube';
import { createLogger } from '@ironlb/shared/log';
import { describe, expect, it } from 'vitest';
import { Allocator } from '../allocation/index.js';
import { pool } from '../allocation/testing/builders.js';
import { createControllerMetrics } from '../http/metrics.js';
import { ServiceReconciler } from './service-reconciler.js';
import { ServiceSync } from './service-sync.js';

const apiError = (code: number): ApiException<string> =>
  new ApiException(
    code,
    `HTTP-Code: ${code}`,
    JSON.stringify({ kind: 'Status', code, message: `m${code}` }),
    {},
  );

interface Write {
  readonly kind: 'status' | 'annotation';
  readonly body: { metadata?: { annotations?: Record<string, string | null> }; status?: V1Service['status'] };
}

interface Harness {
  readonly reconciler: ServiceReconciler;
  readonly services: Map<string, V1Service>;
  readonly writes: Write[];
  /** The next write throws `error` (undefined: the next write succeeds). */
  failNext(error: unknown): void;
  readonly events: EventInput[];
  readonly requeued: string[];
  usageChanges(): number;
  readonly allocator: Allocator;
  /** The samples of one metric, without HELP/TYPE lines. */
  metric(name: string): Promise<string>;
}

/** Everything the reconciler touches, as in-memory stand-ins behind its existing deps seam. */
function harness(o: { l2?: L2AnnouncementConfig[] } = {}): Harness {
  const services = new Map<string, V1Service>();
  const writes: Write[] = [];
  const failures: unknown[] = [];
  const events: EventInput[] = [];
  const requeued: string[] = [];
  let usageChanges = 0;
  let rv = 100;
  const write = (kind: Write['kind'], args: { body: Write['body'] }): Promise<V1Service> => {
    writes.push({ kind, body: args.body });
    const error = failures.shift();
    if (error !== undefined) return Promise.reject(error instanceof Error ? error : new Error('bad fake'));
    rv += 1;
    return Promise.resolve({ metadata: { resourceVersion: String(rv) } });
  };
  const core = {
    patchNamespacedServiceStatus: (args: never) => write('status', args),
    patchNamespacedService: (args: never) => write('annotation', args),
  } as unknown as Pick<CoreV1Client, 'patchNamespacedServiceStatus' | 'patchNamespacedService'>;
  const allocator = new Allocator();
  const blue = pool('blue', { addresses: ['192.0.2.8/30'] });
  allocator.setPools([blue]);
  const metrics = createControllerMetrics();
  const informer = <T extends object>(m: Map<string, T>): Informer<T> =>
    ({ get: (k: string) => m.get(k), keys: () => [...m.keys()], list: () => [...m.values()] }) as never;
  const reconciler = new ServiceReconciler({
    allocator,
    services: informer(services),
    namespaces: informer(new Map<string, V1Namespace>()),
    sync: new ServiceSync({ core, limiter: limit(2), signal: new AbortController().signal }),
    events: { emit: (e: EventInput) => events.push(e) } as never,
    metrics,
    logger: createLogger({ name: 'test', level: 'silent' }),
    loadBalancerClass: undefined,
    announcements: () =>
      o.l2 ?? [
        {
          name: 'all',
          ipPools: ['blue'],
          ipPoolSelector: undefined,
          nodeSelector: undefined,
          interfaces: [],
        },
      ],
    poolConfig: (name) => (name === 'blue' ? blue : undefined),
    reassignWhy: new Map(),
    onUsageChanged: () => (usageChanges += 1),
    requeue: (keys) => requeued.push(...keys),
  });
  const metric = async (name: string): Promise<string> =>
    (await metrics.registry.getSingleMetricAsString(name))
      .split('\n')
      .filter((l) => !l.startsWith('#'))
      .join('\n');
  return {
    reconciler,
    services,
    writes,
    failNext: (e: unknown) => {
      failures.push(e);
    },
    events,
    requeued,
    usageChanges: () => usageChanges,
    allocator,
    metric,
  };
}

function lb(
  name: string,
  o: { rv?: string; annotations?: Record<string, string>; type?: string; ips?: string[] } = {},
): V1Service {
  return {
    status: { loadBalancer: { ingress: (o.ips ?? []).map((ip) => ({ ip })) } },
    metadata: {
      name,
      namespace: 'shop',
      uid: `uid-${name}`,
      resourceVersion: o.rv ?? '1',
      ...(o.annotations ? { annotations: o.annotations } : {}),
    },
    spec: { type: o.type ?? 'LoadBalancer', ports: [{ port: 80, protocol: 'TCP' }], selector: { app: name } },
  };
}

const reasons = (events: EventInput[]): string[] => events.map((e) => `${e.type} ${e.reason}`);

describe('ServiceReconciler', () => {
  it('allocates, writes status and pool annotation, emits IPAllocated once', async () => {
    const h = harness();
    h.services.set('shop/web', lb('web'));
    expect(await h.reconciler.reconcile('shop/web')).toBe('done');
    expect(h.writes.map((w) => w.kind)).toEqual(['status', 'annotation']);
    expect(h.writes[0]?.body.status?.loadBalancer?.ingress).toEqual([{ ip: '192.0.2.8', ipMode: 'VIP' }]);
    expect(h.writes[1]?.body.metadata?.annotations).toEqual({ [ALLOCATED_FROM_POOL_ANNOTATION]: 'blue' });
    expect(reasons(h.events)).toEqual(['Normal IPAllocated']);
    expect(h.events[0]?.note).toBe('Assigned IP 192.0.2.8 from IPPool blue');
    expect(h.events[0]?.regarding).toMatchObject({
      kind: 'Service',
      namespace: 'shop',
      name: 'web',
      uid: 'uid-web',
    });
    expect(await h.metric('ironlb_allocations_total')).toContain('ironlb_allocations_total 1');
    expect(h.usageChanges()).toBeGreaterThan(0);
    // Reconciling again (cache still stale) changes nothing and says nothing.
    expect(await h.reconciler.reconcile('shop/web')).toBe('done');
    expect(h.writes).toHaveLength(2);
    expect(h.events).toHaveLength(1);
  });

  it('a 409 on the status write is retried quietly: counted as a conflict, no event, then succeeds', async () => {
    const h = harness();
    h.services.set('shop/web', lb('web'));
    h.failNext(apiError(409));
    expect(await h.reconciler.reconcile('shop/web')).toBe('retry');
    expect(h.events).toEqual([]);
    expect(await h.metric('ironlb_write_failures_total')).toContain('kind="status-conflict"} 1');
    expect(await h.reconciler.reconcile('shop/web')).toBe('done');
    expect(reasons(h.events)).toEqual(['Normal IPAllocated']);
    expect(h.allocator.assignmentOf('shop/web')?.ips).toHaveLength(1);
  });

  it('a 5xx or network error is retried; a 404 (Service gone) is done', async () => {
    const h = harness();
    h.services.set('shop/web', lb('web'));
    h.failNext(apiError(503));
    expect(await h.reconciler.reconcile('shop/web')).toBe('retry');
    h.failNext(new TypeError('fetch failed'));
    expect(await h.reconciler.reconcile('shop/web')).toBe('retry');
    expect(await h.metric('ironlb_write_failures_total')).toContain('kind="status"} 2');
    h.failNext(apiError(404));
    expect(await h.reconciler.reconcile('shop/web')).toBe('done');
    expect(h.events).toEqual([]);
  });

  it('an annotation 404 is done and a 409 is a quiet retry, like status writes', async () => {
    const h = harness();
    h.services.set('shop/web', lb('web'));
    h.failNext(undefined); // status succeeds
    h.failNext(apiError(409));
    expect(await h.reconciler.reconcile('shop/web')).toBe('retry');
    expect(await h.metric('ironlb_write_failures_total')).toContain('kind="annotation-conflict"} 1');
    h.failNext(apiError(404));
    expect(await h.reconciler.reconcile('shop/web')).toBe('done');
  });

  it('pending when no pool has room: one AllocationFailed warning; a freed address requeues it', async () => {
    const h = harness();
    for (const n of ['a', 'b', 'c', 'd', 'e']) {
      h.services.set(`shop/${n}`, lb(n));
      await h.reconciler.reconcile(`shop/${n}`);
    }
    // 192.0.2.8/30 has 4 addresses: e is pending.
    expect(h.allocator.assignmentOf('shop/e')).toBeUndefined();
    expect(reasons(h.events).filter((r) => r === 'Warning AllocationFailed')).toHaveLength(1);
    expect(await h.reconciler.reconcile('shop/e')).toBe('done');
    expect(reasons(h.events).filter((r) => r === 'Warning AllocationFailed')).toHaveLength(1);
    h.services.delete('shop/a');
    expect(await h.reconciler.reconcile('shop/a')).toBe('done');
    expect(h.allocator.assignmentOf('shop/a')).toBeUndefined();
    expect(h.requeued).toEqual(['shop/e']);
    expect(await h.reconciler.reconcile('shop/e')).toBe('done');
    expect(h.allocator.assignmentOf('shop/e')?.ips).toHaveLength(1);
  });

  it('a Service that stops being a LoadBalancer is released: ingress cleared, annotation removed', async () => {
    const h = harness();
    h.services.set('shop/web', lb('web'));
    await h.reconciler.reconcile('shop/web');
    h.writes.length = 0;
    h.services.set(
      'shop/web',
      lb('web', {
        rv: '200',
        type: 'ClusterIP',
        ips: ['192.0.2.8'],
        annotations: { [ALLOCATED_FROM_POOL_ANNOTATION]: 'blue' },
      }),
    );
    expect(await h.reconciler.reconcile('shop/web')).toBe('done');
    expect(h.allocator.assignmentOf('shop/web')).toBeUndefined();
    expect(h.writes.map((w) => w.kind)).toEqual(['status', 'annotation']);
    expect(h.writes[0]?.body.status?.loadBalancer?.ingress).toEqual([]);
    expect(h.writes[1]?.body.metadata?.annotations).toEqual({ [ALLOCATED_FROM_POOL_ANNOTATION]: null });
  });

  it('an invalid annotation warns once and writes nothing', async () => {
    const h = harness();
    h.services.set('shop/web', lb('web', { annotations: { 'ironlb.io/load-balancer-ips': 'not-an-ip' } }));
    expect(await h.reconciler.reconcile('shop/web')).toBe('done');
    expect(await h.reconciler.reconcile('shop/web')).toBe('done');
    expect(reasons(h.events)).toEqual(['Warning InvalidAnnotation']);
    expect(h.writes).toEqual([]);
  });

  it('warns NotAnnounced when no L2Announcement selects the pool', async () => {
    const h = harness({ l2: [] });
    h.services.set('shop/web', lb('web'));
    await h.reconciler.reconcile('shop/web');
    expect(reasons(h.events)).toEqual(['Normal IPAllocated', 'Warning NotAnnounced']);
    expect(h.events[1]?.note).toContain('no L2Announcement selects pool blue');
  });
});
