import { execFileSync } from 'node:child_process';
import { CoreV1Api, KubeConfig, type V1Service } from '@kubernetes/client-node';
import {
  createKubeClients,
  EventRecorder,
  Informer,
  type KubeClients,
  type KubeEvent,
  LeaderElector,
  type LeaseApi,
  patchServiceStatus,
} from '@ironlb/shared/kube';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestNamespace, kubeClients, labKubeconfigPath, type TestNamespace } from './support/kube.js';
import { waitFor } from './support/wait.js';

let clients: KubeClients;
let ns: TestNamespace;

beforeAll(async () => {
  const made = await createKubeClients({ kubeconfigPath: labKubeconfigPath() });
  if (!made.ok) throw new Error(made.error);
  clients = made.value;
  ns = await createTestNamespace('kube-toolkit');
});

afterAll(async () => {
  // beforeAll may have failed part-way (API server unreachable): clean up what exists.
  await (ns as TestNamespace | undefined)?.cleanup();
  await (clients as KubeClients | undefined)?.close();
});

/** Established TCP connections from this process to the API server port. */
function apiSockets(): number {
  const port = new URL(clients.kubeConfig.server).port;
  const out = execFileSync('ss', ['-tnpH', 'state', 'established', `( dport = :${port} )`], {
    encoding: 'utf8',
  });
  return out.split('\n').filter((l) => l.includes(`pid=${process.pid},`)).length;
}

describe('client factory against kube-apiserver', () => {
  it('20 sequential calls: stock client opens a socket per call, the pooled client reuses', async () => {
    const before = apiSockets();
    const kc = new KubeConfig();
    kc.loadFromFile(labKubeconfigPath());
    const stock = kc.makeApiClient(CoreV1Api);
    for (let i = 0; i < 20; i++) await stock.listNamespace();
    const stockSockets = apiSockets() - before;

    const made = await createKubeClients({ kubeconfigPath: labKubeconfigPath(), maxSockets: 4 });
    if (!made.ok) throw new Error(made.error);
    const mid = apiSockets();
    for (let i = 0; i < 20; i++) await made.value.core.listNamespace();
    await Promise.all(Array.from({ length: 40 }, () => made.value.core.listNamespace()));
    const pooledSockets = apiSockets() - mid;
    await made.value.close();
    console.info(
      `api sockets opened: stock=${stockSockets} (20 calls), pooled=${pooledSockets} (20 sequential + 40 concurrent, maxSockets 4)`,
    );
    expect(stockSockets).toBeGreaterThanOrEqual(15);
    expect(pooledSockets).toBeLessThanOrEqual(4);
  });
});

describe('informer against kube-apiserver', () => {
  it('syncs, then sees watch events as plain JSON like LIST items, keys handed to the queue', async () => {
    const keys: string[] = [];
    const path = `/api/v1/namespaces/${ns.name}/services`;
    const core = kubeClients().core; // the admin's client-node client makes the changes
    const informer = new Informer<V1Service>({
      kubeConfig: clients.kubeConfig,
      path,
      list: () => clients.kubeConfig.request({ method: 'GET', path }),
      queue: { add: (k) => keys.push(k) },
    });
    await informer.start();
    await waitFor(() => informer.hasSynced(), { what: 'informer synced', timeoutMs: 10_000 });
    await core.createNamespacedService({
      namespace: ns.name,
      body: { metadata: { name: 'watched' }, spec: { ports: [{ port: 81 }] } },
    });
    const seen = await waitFor(() => informer.get(`${ns.name}/watched`), {
      what: 'watch event',
      timeoutMs: 10_000,
    });
    // Plain JSON: RFC 3339 text, not the Date the model type claims.
    expect(String(seen.metadata?.creationTimestamp)).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(keys).toContain(`${ns.name}/watched`);
    await core.deleteNamespacedService({ name: 'watched', namespace: ns.name });
    await waitFor(() => informer.get(`${ns.name}/watched`) === undefined, {
      what: 'delete event',
      timeoutMs: 10_000,
    });
    await informer.stop();
  });
});

describe('leader election against kube-apiserver', () => {
  const timing = { leaseDurationSeconds: 4, renewDeadlineMs: 3000, retryPeriodMs: 500 };

  function candidate(identity: string, cut: { partitioned: boolean }): LeaderElector {
    const real = clients.coordination;
    const guard = <T>(call: () => Promise<T>): Promise<T> =>
      cut.partitioned ? Promise.reject(new Error('partitioned')) : call();
    const leases: LeaseApi = {
      readNamespacedLease: (p) => guard(() => real.readNamespacedLease(p)),
      createNamespacedLease: (p) => guard(() => real.createNamespacedLease(p)),
      replaceNamespacedLease: (p) => guard(() => real.replaceNamespacedLease(p)),
    };
    return new LeaderElector({
      leases,
      namespace: ns.name,
      name: 'ironlb-controller',
      identity,
      ...timing,
      onStartedLeading: () => undefined,
      onStoppedLeading: () => undefined,
    });
  }

  it('one leader at a time; a dead leader is replaced within the lease duration; release hands over fast', async () => {
    const cutA = { partitioned: false };
    const a = candidate('a', cutA);
    const b = candidate('b', { partitioned: false });
    let both = 0;
    const poll = setInterval(() => {
      if (a.isLeader() && b.isLeader()) both += 1;
    }, 20);
    try {
      a.start();
      await waitFor(() => a.isLeader(), { what: 'a leads', timeoutMs: 10_000 });
      b.start();
      await new Promise((r) => setTimeout(r, 3000));
      expect(b.isLeader()).toBe(false);

      const lease = await clients.coordination.readNamespacedLease({
        name: 'ironlb-controller',
        namespace: ns.name,
      });
      expect(lease.spec?.holderIdentity).toBe('a');
      expect(String(lease.spec?.renewTime)).toMatch(/\.\d{6}Z$/); // accepted as MicroTime

      cutA.partitioned = true; // "kill" a: it can no longer reach the API server
      const killed = Date.now();
      await waitFor(() => b.isLeader(), { what: 'b takes over', timeoutMs: 15_000, intervalMs: 20 });
      const takeover = Date.now() - killed;
      console.info(`takeover after leader loss: ${takeover} ms (lease ${timing.leaseDurationSeconds} s)`);
      expect(takeover).toBeLessThanOrEqual(
        timing.leaseDurationSeconds * 1000 + 2 * 2.2 * timing.retryPeriodMs + 500,
      );
      expect(a.isLeader()).toBe(false);
      await a.stop();

      const c = candidate('c', { partitioned: false });
      c.start();
      await new Promise((r) => setTimeout(r, 1000));
      expect(c.isLeader()).toBe(false);
      const released = Date.now();
      await b.stop(); // graceful: clears holderIdentity
      await waitFor(() => c.isLeader(), {
        what: 'c takes over after release',
        timeoutMs: 10_000,
        intervalMs: 20,
      });
      const handover = Date.now() - released;
      console.info(`handover after graceful release: ${handover} ms`);
      expect(handover).toBeLessThan(timing.leaseDurationSeconds * 1000);
      const after = await clients.coordination.readNamespacedLease({
        name: 'ironlb-controller',
        namespace: ns.name,
      });
      expect(after.spec).toMatchObject({ holderIdentity: 'c', leaseTransitions: 2 });
      await c.stop();
    } finally {
      clearInterval(poll);
      await Promise.all([a.stop(), b.stop()]);
    }
    expect(both).toBe(0);
  });
});

describe('event recorder and status patch against kube-apiserver', () => {
  it('identical events become one series visible via events.k8s.io and core/v1 (kubectl describe)', async () => {
    const svc = await kubeClients().core.createNamespacedService({
      namespace: ns.name,
      body: { metadata: { name: 'web' }, spec: { type: 'ClusterIP', ports: [{ port: 80 }] } },
    });
    const regarding = {
      kind: 'Service',
      apiVersion: 'v1',
      namespace: ns.name,
      name: 'web',
      uid: svc.metadata!.uid!,
    };
    const recorder = new EventRecorder({
      events: clients.events,
      reportingController: 'ironlb.io/controller',
      reportingInstance: 'e2e',
      logger: {
        warn: (o: unknown) => {
          console.warn(o);
        },
        debug: () => undefined,
      },
    });
    recorder.start();
    for (let i = 0; i < 3; i++) {
      recorder.emit({
        regarding,
        type: 'Warning',
        reason: 'NoPool',
        note: 'no IPPool matches',
        action: 'Allocate',
      });
      await new Promise((r) => setTimeout(r, 200));
    }
    recorder.emit({
      regarding,
      type: 'Normal',
      reason: 'IPAllocated',
      note: 'Assigned 192.0.2.10',
      action: 'Allocate',
    });
    await recorder.stop();

    const list = await clients.kubeConfig.request<{ items: KubeEvent[] }>({
      method: 'GET',
      path: `/apis/events.k8s.io/v1/namespaces/${ns.name}/events`,
    });
    const noPool = list.items.filter((e) => e.reason === 'NoPool');
    expect(noPool).toHaveLength(1);
    expect(noPool[0]!.series?.count).toBe(3);
    expect(noPool[0]!.reportingController).toBe('ironlb.io/controller');

    const selector = `involvedObject.name=web,involvedObject.namespace=${ns.name},involvedObject.kind=Service,involvedObject.uid=${regarding.uid}`;
    const core = await kubeClients().core.listNamespacedEvent({
      namespace: ns.name,
      fieldSelector: selector,
    });
    // core/v1 shows a singleton without count, and the series count for the repeated one.
    expect(core.items.map((e) => [e.reason, e.series?.count ?? e.count]).sort()).toEqual([
      ['IPAllocated', undefined],
      ['NoPool', 3],
    ]);
  });

  it('merge-patches services/status; a stale resourceVersion is a conflict value', async () => {
    const svc = await kubeClients().core.createNamespacedService({
      namespace: ns.name,
      body: { metadata: { name: 'lb' }, spec: { type: 'LoadBalancer', ports: [{ port: 80 }] } },
    });
    const written = await patchServiceStatus(clients.core, {
      namespace: ns.name,
      name: 'lb',
      status: { loadBalancer: { ingress: [{ ip: '192.0.2.200', ipMode: 'VIP' }] } },
      resourceVersion: svc.metadata!.resourceVersion!,
    });
    expect(written.ok && written.value.status?.loadBalancer?.ingress?.[0]?.ip).toBe('192.0.2.200');
    const stale = await patchServiceStatus(clients.core, {
      namespace: ns.name,
      name: 'lb',
      status: { loadBalancer: { ingress: [] } },
      resourceVersion: svc.metadata!.resourceVersion!,
    });
    expect(!stale.ok && stale.error.kind).toBe('conflict');
    const missing = await patchServiceStatus(clients.core, { namespace: ns.name, name: 'nope', status: {} });
    expect(!missing.ok && missing.error.kind).toBe('not-found');
  });
});
