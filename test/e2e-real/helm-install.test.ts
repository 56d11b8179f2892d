/**
 * ironlb as its users run it: installed by `helm install` (global-setup.ts) on the real-node lab, where kubelet,
 * containerd, runc and kube-proxy (nftables) are real and the workloads are real pods. One file, in order: the last
 * test checks that everything before it cost the ironlb pods no restart and no OOM kill.
 *
 * Isolation: the lab is this project's own (sandboxed by run.sh), and the pool 198.51.100.96/28 is used by no other
 * suite. The Services have no loadBalancerClass because the README's install handles class-less Services.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labConfig } from '../lab/config.js';
import { RELEASE_NAMESPACE } from '../lab/real/helm-install.js';
import {
  L2Capture,
  apply,
  createTestNamespace,
  deleteObjects,
  httpGetFromClient,
  kubeClients,
  kubectl,
  labNode,
  labNodes,
  neighbour,
  netnsExec,
  percentile,
  setStaticNeighbour,
  startClientProbe,
  waitFor,
  type TestNamespace,
} from '../e2e/support/index.js';
import {
  announcer,
  component,
  deleteClientNeighbour,
  echoDeployment,
  echoFromClient,
  externalIp,
  firstEchoAnswer,
  ironlbPods,
  lbService,
  podNodes,
  podProblems,
  replacedPods,
  rolloutStatus,
  speakersHearEachOther,
} from './support.js';
import { linkDownFailover } from './link-failover.js';

const POOL = 'e2e-real';
const RANGE = '198.51.100.96/28';
const inRange = (ip: string): boolean => /^198\.51\.100\.(9[6-9]|10\d|11[01])$/.test(ip);
const lab = labConfig();
/** kube-proxy's no-endpoint-services element for ip:80/TCP with verdict drop (`<ip> . tcp . 80 [comment "…"] : drop`). */
const noEndpointDrop = (ip: string): RegExp =>
  new RegExp(`${ip.replaceAll('.', '\\.')} \\. tcp \\. 80 (comment "[^"]*" )?: drop`);
let ns: TestNamespace | undefined;
let capture: L2Capture | undefined;
/** Set by beforeAll (the tests only run when it succeeded). */
let namespace = '';
let l2: L2Capture;
/** The ETP Cluster Service's IP (3 replicas spread over the nodes). */
let clusterIp = '';

beforeAll(async () => {
  await apply(
    [
      `apiVersion: ironlb.io/v1alpha1\nkind: IPPool\nmetadata: {name: ${POOL}}\nspec:\n  addresses: ["${RANGE}"]`,
      `apiVersion: ironlb.io/v1alpha1\nkind: L2Announcement\nmetadata: {name: ${POOL}}\nspec:\n  ipPools: [${POOL}]`,
    ].join('\n---\n'),
  );
  ns = await createTestNamespace('e2e-real');
  namespace = ns.name;
  await apply(echoDeployment({ namespace, name: 'echo', replicas: labNodes().length }));
  await apply(lbService({ namespace, name: 'echo', policy: 'Cluster' }));
  await rolloutStatus({ namespace, workload: 'deployment/echo' });
  const { client } = lab;
  capture = new L2Capture({ netns: client.netns, iface: 'eth0', ipv4: client.ipv4, ipv6: client.ipv6 });
  await capture.start();
  l2 = capture;
});

afterAll(async () => {
  capture?.stop();
  await ns?.cleanup();
  await deleteObjects('l2announcements.ironlb.io', [POOL]);
  await deleteObjects('ippools.ironlb.io', [POOL]);
});

describe('ironlb installed with Helm on real nodes', () => {
  it('assigns the LoadBalancer Service an EXTERNAL-IP from the IPPool', async () => {
    clusterIp = await externalIp({ namespace, name: 'echo' });
    expect(inRange(clusterIp), `${clusterIp} in ${RANGE}`).toBe(true);
    console.log(`[e2e-real] ${await kubectl(['get', 'svc', '-n', namespace, 'echo'])}`);
  });

  it('a real pod answers the client at the announced IP through kube-proxy; ARP names the announcer', async () => {
    const node = await announcer(l2, clusterIp);
    const { core } = kubeClients();
    await waitFor(
      async () =>
        (await core.readNode({ name: node })).metadata?.annotations?.['ironlb.io/announcing']?.includes(
          clusterIp,
        ),
      { what: `${node}'s ironlb.io/announcing annotation listing ${clusterIp}`, timeoutMs: 30_000 },
    );
    const pods = await podNodes({ namespace, app: 'echo' });
    await firstEchoAnswer(clusterIp);
    const answers = [];
    for (let i = 0; i < 15; i++) answers.push(await echoFromClient(clusterIp));
    for (const a of answers) {
      if (typeof a === 'string') throw new Error(`the client got no answer from ${clusterIp}: ${a}`);
      // The answering pod is one of the Deployment's, on the node the scheduler put it on.
      expect(pods.get(a.pod)).toBe(a.node);
    }
    // kube-proxy spreads new connections over the endpoints: more than one pod answered.
    const answered = new Set(answers.map((a) => (typeof a === 'string' ? a : a.pod)));
    expect(answered.size).toBeGreaterThan(1);
    // The client learnt the announcer's MAC for the IP (by ARP: nothing else tells it).
    expect((await neighbour({ ip: clusterIp }))?.mac).toBe(labNode(node).mac.toLowerCase());
    console.log(`[e2e-real] ${clusterIp} announced by ${node}; answered by ${[...answered].join(', ')}`);
  });

  it('externalTrafficPolicy Local: only the endpoint node announces and serves; the others drop and fail health', async () => {
    const nodes = labNodes();
    const target = nodes.find((n) => n !== nodes[0]) ?? nodes[0] ?? '';
    await apply(echoDeployment({ namespace, name: 'local', replicas: 1, node: target }));
    await apply(lbService({ namespace, name: 'local', policy: 'Local' }));
    await rolloutStatus({ namespace, workload: 'deployment/local' });
    const ip = await externalIp({ namespace, name: 'local' });
    expect(inRange(ip)).toBe(true);
    expect(await announcer(l2, ip)).toBe(target);
    await firstEchoAnswer(ip);
    for (let i = 0; i < 5; i++) {
      const a = await echoFromClient(ip);
      expect(typeof a === 'string' ? a : a.node).toBe(target);
    }
    // kube-proxy's health-check node port: 200 where the Service has a local endpoint, 503 elsewhere.
    const svc = await kubeClients().core.readNamespacedService({ namespace, name: 'local' });
    const port = svc.spec?.healthCheckNodePort ?? 0;
    expect(port).toBeGreaterThan(0);
    for (const node of nodes) {
      const res = await httpGetFromClient({ ip: labNode(node).ipv4, port, timeoutMs: 3000 });
      expect([node, res.ok && res.status]).toEqual([node, node === target ? 200 : 503]);
    }
    // Traffic for the IP sent to a node without an endpoint (a client with a stale or forced neighbour entry) is
    // dropped there by kube-proxy (its no-endpoint map says so), not forwarded to the endpoint on another node.
    for (const other of nodes.filter((n) => n !== target)) {
      const { stdout } = await netnsExec(other, [
        'nft',
        'list',
        'map',
        'ip',
        'kube-proxy',
        'no-endpoint-services',
      ]);
      expect([other, stdout]).toEqual([other, expect.stringMatching(noEndpointDrop(ip))]);
      await setStaticNeighbour({ ip, mac: labNode(other).mac });
      try {
        expect([other, await echoFromClient(ip, 2000)]).toEqual([other, 'TimeoutError']);
      } finally {
        await deleteClientNeighbour(ip);
      }
    }
    const back = await echoFromClient(ip);
    expect(typeof back === 'string' ? back : back.node).toBe(target);
  });

  it('fails over when the announcing node drops off the LAN (link down), measured from the client', async () => {
    const victim = await announcer(l2, clusterIp);
    const failover = await linkDownFailover({ capture: l2, ip: clusterIp, victim });
    const { newOwner, firstAnswerMs } = failover;
    console.log(
      `[e2e-real] link down of ${victim}: ${newOwner} took over; first answer ${firstAnswerMs} ms after the link ` +
        `was down (the down command took ${failover.downCommandMs} ms)`,
    );
    expect(newOwner).not.toBe(victim);
    expect(firstAnswerMs).not.toBeNull();
    expect(firstAnswerMs ?? Infinity).toBeLessThan(5000);
    await speakersHearEachOther();
  });

  it('takes over when the announcing node’s speaker pod is force-deleted; the DaemonSet replaces it', async () => {
    const victim = await announcer(l2, clusterIp);
    const speakers = await ironlbPods();
    const pod = speakers.find((p) => p.spec?.nodeName === victim && component(p) === 'speaker');
    const name = pod?.metadata?.name ?? '';
    expect(name).not.toBe('');
    const probe = startClientProbe({
      netns: lab.client.netns,
      ip: clusterIp,
      intervalMs: 20,
      timeoutMs: 500,
    });
    await new Promise((r) => setTimeout(r, 1000));
    const deletedAt = Date.now();
    await kubectl(['delete', 'pod', '-n', RELEASE_NAMESPACE, name, '--force', '--grace-period=0']);
    const newOwner = await waitFor(
      async () => {
        const node = await announcer(l2, clusterIp, 1000).catch(() => undefined);
        return node !== victim && node;
      },
      { what: `a node other than ${victim} announcing ${clusterIp}`, timeoutMs: 30_000, intervalMs: 0 },
    );
    const takeoverMs = Date.now() - deletedAt;
    await new Promise((r) => setTimeout(r, 1000));
    const samples = await probe.stop();
    const after = samples.filter((s) => s.t >= deletedAt);
    const failed = after.filter((s) => s.node === null).length;
    console.log(
      `[e2e-real] force-deleted ${name} on ${victim}: ${newOwner} announced after ${takeoverMs} ms; ` +
        `${failed} of ${after.length} client attempts failed (p50 gap ${percentile(
          after.map((s, i) => s.t - (after[i - 1]?.t ?? s.t)),
          50,
        )} ms)`,
    );
    expect(newOwner).not.toBe(victim);
    const speakersNow = await replacedPods({ component: 'speaker', gone: name, count: labNodes().length });
    const replaced = speakersNow.find((p) => p.spec?.nodeName === victim);
    expect(replaced?.metadata?.name).toBeDefined();
    expect(replaced?.metadata?.name).not.toBe(name);
    await speakersHearEachOther();
  });

  it('leaves every ironlb pod Running and Ready with 0 restarts and no OOMKilled', async () => {
    console.log(
      `[e2e-real] kubectl get pods -n ${RELEASE_NAMESPACE}\n${await kubectl(['get', 'pods', '-n', RELEASE_NAMESPACE, '-o', 'wide'])}`,
    );
    const pods = await ironlbPods();
    const byComponent = (c: string): number => pods.filter((p) => component(p) === c).length;
    expect([byComponent('controller'), byComponent('speaker')]).toEqual([2, labNodes().length]);
    expect(pods.flatMap(podProblems)).toEqual([]);
  });
});
