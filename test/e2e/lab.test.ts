/**
 * Acceptance tests for the lab itself, against the real kube-apiserver / kube-controller-manager it runs.
 * No ironlb component runs here.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import type { V1EndpointSlice, V1Service } from '@kubernetes/client-node';
import { labConfig } from '../lab/config.js';
import { run } from '../lab/exec.js';
import { labUp } from '../lab/lab.js';
import { isAlive, listRecords } from '../lab/processes.js';
import { otherLabUsers } from '../lab/sharing.js';
import {
  createReadyPod,
  createTestNamespace,
  flushNeighbour,
  httpGetFromClient,
  kubeClients,
  labNode,
  neighbour,
  netnsExec,
  nodeReadyStatus,
  notReadyBoundsMs,
  pinAddress,
  setStaticNeighbour,
  startInNetns,
  startKubelet,
  stopKubelet,
  waitFor,
} from './support/index.js';
import type { TestNamespace } from './support/index.js';

const config = labConfig();
const [node1, node2, node3] = ['ilb-node-1', 'ilb-node-2', 'ilb-node-3'];

function loadBalancerService(name: string): V1Service {
  return {
    metadata: { name },
    spec: { type: 'LoadBalancer', selector: { app: name }, ports: [{ port: 80, targetPort: 8080 }] },
  };
}

describe('lab control plane', () => {
  let ns: TestNamespace;
  const { core, discovery } = kubeClients();

  beforeAll(async () => {
    ns = await createTestNamespace('lab');
  });
  afterAll(async () => {
    await ns.cleanup();
  });

  it('provides the lab environment to tests', () => {
    const lab = inject('lab');
    expect(lab.KUBECONFIG).toBe(process.env.KUBECONFIG);
    expect(lab.LAB_NODES.split(' ')).toEqual(config.nodes.map((n) => n.netns));
    expect(lab.LAB_CLIENT_NETNS).toBe('ilb-client');
  });

  it('keeps a LoadBalancer Service pending when no ironlb runs, and kubectl shows <pending>', async () => {
    await core.createNamespacedService({ namespace: ns.name, body: loadBalancerService('web') });
    await new Promise((r) => setTimeout(r, 2_000));
    const svc = await core.readNamespacedService({ name: 'web', namespace: ns.name });
    expect(svc.spec?.clusterIPs?.[0]).toMatch(/^192\.0\.2\./);
    expect(svc.status?.loadBalancer?.ingress ?? []).toEqual([]);
    const { stdout } = await run(join(config.k8sBinDir, 'kubectl'), [
      '--kubeconfig',
      inject('lab').KUBECONFIG,
      '-n',
      ns.name,
      'get',
      'svc',
      'web',
    ]);
    expect(stdout).toMatch(/web\s+LoadBalancer\s+\S+\s+<pending>/);
  });

  it('lists two Ready stand-in pods with their nodeName in EndpointSlices', async () => {
    await core.createNamespacedService({ namespace: ns.name, body: loadBalancerService('api') });
    const pods = await Promise.all([
      createReadyPod({ namespace: ns.name, name: 'api-a', node: node1, labels: { app: 'api' }, port: 8080 }),
      createReadyPod({ namespace: ns.name, name: 'api-b', node: node2, labels: { app: 'api' }, port: 8080 }),
    ]);
    expect(pods.map((p) => p.status?.podIP)).toEqual([
      expect.stringMatching(/^192\.0\.2\./),
      expect.anything(),
    ]);
    const endpoints = await waitFor(
      async () => {
        const slices = await discovery.listNamespacedEndpointSlice({
          namespace: ns.name,
          labelSelector: 'kubernetes.io/service-name=api',
        });
        const eps = slices.items.flatMap((s: V1EndpointSlice) => s.endpoints ?? []);
        return eps.filter((e) => e.conditions?.ready === true).length === 2 ? eps : undefined;
      },
      { what: 'EndpointSlice with two ready endpoints', timeoutMs: 20_000 },
    );
    expect(endpoints.map((e) => e.nodeName).sort()).toEqual([node1, node2]);
    expect(endpoints.map((e) => e.targetRef?.name).sort()).toEqual(['api-a', 'api-b']);
  });
});

describe('lab nodes', () => {
  it('marks a node NotReady within the configured grace period after its kubelet stand-in stops', async () => {
    const bounds = notReadyBoundsMs();
    expect(await nodeReadyStatus(node3)).toBe('True');
    const t0 = Date.now();
    try {
      expect(await stopKubelet(node3)).toBe(true);
      const status = await waitFor(
        async () => {
          const s = await nodeReadyStatus(node3);
          return s !== 'True' ? s : undefined;
        },
        { what: `${node3} NotReady`, timeoutMs: bounds.max + 5_000, intervalMs: 100 },
      );
      const latency = Date.now() - t0;
      process.stdout.write(
        `[lab] ${node3} NotReady (${status}) after ${latency} ms (bounds ${bounds.min}..${bounds.max})\n`,
      );
      expect(status).toBe('Unknown');
      expect(latency).toBeGreaterThanOrEqual(bounds.min);
      expect(latency).toBeLessThanOrEqual(bounds.max);
    } finally {
      startKubelet(node3);
    }
    await waitFor(async () => (await nodeReadyStatus(node3)) === 'True', { what: `${node3} Ready again` });
  });
});

describe('lab data plane', () => {
  it('never answers ARP/NDP from the kernel for pinned addresses; a static neighbour reaches that node', async () => {
    for (const [node, ip] of [
      [node2, '198.51.100.250'],
      [node3, '2001:db8:100::250'],
    ] as const) {
      const pin = await pinAddress({ node, ip });
      try {
        const unanswered = await httpGetFromClient({ ip, timeoutMs: 1_500 });
        expect(unanswered.ok).toBe(false);
        expect((await neighbour({ ip }))?.mac).toBeUndefined();
        await setStaticNeighbour({ ip, mac: labNode(node).mac });
        const res = await httpGetFromClient({ ip });
        expect(res).toEqual({ ok: true, status: 200, body: `${node}\n` });
      } finally {
        await flushNeighbour({ ip });
        await pin.unpin();
      }
    }
  });

  it('kube-proxy stand-ins put every Service ingress IP on kube-lb0 of every node, and remove it again', async () => {
    const ns = await createTestNamespace('lab-proxy');
    const { core } = kubeClients();
    const ip = '203.0.113.77';
    const onDevice = async (node: string): Promise<boolean> => {
      const { stdout } = await netnsExec(node, ['ip', '-o', 'addr', 'show', 'dev', config.lbDevice]);
      return stdout.includes(` ${ip}/32 `);
    };
    try {
      await core.createNamespacedService({ namespace: ns.name, body: loadBalancerService('web') });
      await core.patchNamespacedServiceStatus(
        { name: 'web', namespace: ns.name, body: { status: { loadBalancer: { ingress: [{ ip }] } } } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
      for (const n of config.nodes) await waitFor(() => onDevice(n.netns), { what: `${ip} on ${n.netns}` });
      await setStaticNeighbour({ ip, mac: labNode(node1).mac });
      expect(await httpGetFromClient({ ip })).toEqual({ ok: true, status: 200, body: `${node1}\n` });
      await core.deleteNamespacedService({ name: 'web', namespace: ns.name });
      for (const n of config.nodes) {
        await waitFor(async () => !(await onDevice(n.netns)), { what: `${ip} gone from ${n.netns}` });
      }
    } finally {
      await flushNeighbour({ ip });
      await ns.cleanup();
    }
  });
});

describe('lab processes', () => {
  it('runs a long-lived process inside a node namespace and stops exactly that PID', async () => {
    const node = labNode(node1);
    const server = `require('node:http').createServer((q, r) => r.end('custom')).listen(8080, '::')`;
    const proc = startInNetns({
      netns: node.netns,
      argv: [process.execPath, '-e', server],
      name: 'e2e-custom-http',
    });
    try {
      const res = await waitFor(
        async () => {
          const r = await httpGetFromClient({ ip: node.ipv6, port: 8080, timeoutMs: 1_000 });
          return r.ok ? r : undefined;
        },
        { what: 'custom server in the node namespace' },
      );
      expect(res.body).toBe('custom');
    } finally {
      expect(await proc.stop()).toBe(true);
    }
    expect((await httpGetFromClient({ ip: node.ipv4, port: 8080, timeoutMs: 1_000 })).ok).toBe(false);
  });
});

describe('lab lifecycle (runs last in this file; restores the lab for later files)', () => {
  // Taking the lab down under another run on this machine would break that run's tests.
  it.skipIf(otherLabUsers(config).length > 0)(
    '`pnpm lab down` leaves no namespace, link or recorded process behind; `up` brings it back in < 30 s',
    async () => {
      const records = listRecords(join(config.dir, 'pids'));
      expect(records.length).toBeGreaterThanOrEqual(3 + 2 * config.nodes.length);
      let leftAfterDown: { processes: unknown[]; netns: string[]; links: string[] };
      try {
        await run('pnpm', ['-s', 'lab', 'down'], { timeoutMs: 60_000 });
        const netns = (await run('ip', ['netns', 'list'])).stdout;
        const links = (await run('ip', ['-o', 'link', 'show'])).stdout;
        leftAfterDown = {
          processes: records.filter(isAlive),
          netns: netns.split('\n').filter((l) => l.startsWith('ilb-')),
          links: links.split('\n').filter((l) => / ilb-/.test(l)),
        };
      } finally {
        // Whatever the assertions below find, the files after this one need the lab back.
        const report = await labUp(config);
        process.stdout.write(`[lab] warm up after down: ${report.durationMs} ms\n`);
        expect(report.durationMs).toBeLessThan(30_000);
      }
      expect(leftAfterDown).toEqual({ processes: [], netns: [], links: [] });
    },
  );
});
