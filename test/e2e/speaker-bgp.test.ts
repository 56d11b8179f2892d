/**
 * The speaker's BGP mode on the lab: built speakers (`node speaker/dist/main.js --bgp-frr-config … --bgp-frr-instance
 * …`) drive each node's FRR instance; the lab's router peers with every node (test/lab/README.md, "BGP").
 * - ETP Cluster: the router holds the Service's /32 and /128 with one next hop per node;
 * - ETP Local: no route and a BGPNotAdvertised event while no pod is ready; then only the node with the ready
 *   endpoint, and the route follows the pod when it moves;
 * - the speakers' metrics show the sessions up and the prefixes advertised;
 * - the advertisement's standard and large communities on every path of the /32 and the /128 at the router;
 * - a speaker restart withdraws nothing (FRR keeps its configuration; the restarted speaker renders the same).
 *
 * Runs beside other suites on the shared lab: own class, pool range (198.51.100.208/29, 2001:db8:bb::/124, used by
 * no other suite), object names, speaker ports and process names. afterAll deletes its objects and puts every
 * node's FRR back to the lab's initial configuration.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderInitialNodeConfig } from '../lab/bgp/frr-config.js';
import type { BgpLabPlan } from '../lab/bgp/plan.js';
import {
  apply,
  createLbService,
  createReadyPod,
  createTestNamespace,
  deleteObjects,
  installCrds,
  kubeClients,
  labNode,
  labNodes,
  setIngress,
  speakerMetrics,
  waitFor,
  waitForEvent,
  type TestNamespace,
} from './support/index.js';
import {
  applyNodeFrrConfig,
  bgpSpeakerArgs,
  ensureBgpLab,
  familyOf,
  routerNextHops,
  startBgpSpeakers,
  vtysh,
  waitForBgpSessions,
  waitForRoute,
} from './support/router.js';
import { SpeakerSet } from './support/speakers.js';

const NAME = 'e2e-speaker-bgp';
const CLASS = 'ironlb.io/e2e-bgp';
const PORTS = { metrics: 27941, membership: 28413 };
const RANGE4 = '198.51.100.208/29';
const RANGE6 = '2001:db8:bb::/124';
const CLUSTER4 = '198.51.100.209';
const CLUSTER6 = '2001:db8:bb::9';
const LOCAL4 = '198.51.100.210';
const COMMUNITY = '64513:100';
const LARGE_COMMUNITY = '64513:1:2';
const LOCAL_PREF = 200;

let plan: BgpLabPlan;
let ns: TestNamespace;
let speakers: SpeakerSet;
const nodes = labNodes();
const v4 = nodes.map((n) => labNode(n).ipv4);
const v6 = nodes.map((n) => labNode(n).ipv6);

/** The part of a path in FRR 8.4's `show bgp <family> unicast <prefix> json` this suite reads. */
interface RouterPathJson {
  community?: { list?: string[] };
  largeCommunity?: { list?: string[] };
}

/** A metric of the node's speaker; a missing metric fails (inside waitFor: not yet). */
const metric = speakerMetrics(PORTS.metrics);

beforeAll(async () => {
  plan = await ensureBgpLab();
  await installCrds();
  const r = plan.router;
  await apply(
    [
      `apiVersion: ironlb.io/v1alpha1\nkind: IPPool\nmetadata: {name: ${NAME}}\nspec:\n  addresses: ["${RANGE4}", "${RANGE6}"]`,
      `apiVersion: ironlb.io/v1alpha1\nkind: BGPAdvertisement\nmetadata: {name: ${NAME}}\nspec:\n  ipPools: [${NAME}]\n  peers: [${NAME}-v4, ${NAME}-v6]\n  communities: ["${COMMUNITY}", "large:${LARGE_COMMUNITY}"]\n  localPref: ${LOCAL_PREF}`,
      `apiVersion: ironlb.io/v1alpha1\nkind: BGPPeer\nmetadata: {name: ${NAME}-v4}\nspec:\n  myASN: ${plan.nodeAsn}\n  peerASN: ${r.asn}\n  peerAddress: "${r.ipv4}"`,
      `apiVersion: ironlb.io/v1alpha1\nkind: BGPPeer\nmetadata: {name: ${NAME}-v6}\nspec:\n  myASN: ${plan.nodeAsn}\n  peerASN: ${r.asn}\n  peerAddress: "${r.ipv6}"`,
    ].join('\n---\n'),
  );
  ns = await createTestNamespace(NAME);
  speakers = startBgpSpeakers({
    nodes,
    name: NAME,
    ports: PORTS,
    args: ['--load-balancer-class', CLASS, '--log-level', 'debug', '--bgp-session-poll', '500ms'],
  });
  // Every speaker has its two sessions up before the first test.
  await waitForBgpSessions({ nodes, metricsPort: PORTS.metrics, sessions: 2, timeoutMs: 90_000 });
}, 180_000);

afterAll(async () => {
  await speakers.stopAll();
  await ns.cleanup();
  await deleteObjects('bgppeers.ironlb.io', [`${NAME}-v4`, `${NAME}-v6`]);
  await deleteObjects('bgpadvertisements.ironlb.io', [NAME]);
  await deleteObjects('ippools.ironlb.io', [NAME]);
  for (const node of nodes) await applyNodeFrrConfig(node, renderInitialNodeConfig(node));
}, 180_000);

describe('speaker BGP mode', () => {
  it('ETP Cluster: the router holds the /32 and the /128 with one next hop per node', async () => {
    await createLbService({
      namespace: ns.name,
      name: 'cluster4',
      loadBalancerClass: CLASS,
      ipFamilyPolicy: 'SingleStack',
      ipFamilies: ['IPv4'],
      allocateLoadBalancerNodePorts: false,
    });
    await setIngress({ namespace: ns.name, name: 'cluster4', ips: [CLUSTER4] });
    await createLbService({
      namespace: ns.name,
      name: 'cluster6',
      loadBalancerClass: CLASS,
      ipFamilyPolicy: 'SingleStack',
      ipFamilies: ['IPv6'],
      allocateLoadBalancerNodePorts: false,
    });
    await setIngress({ namespace: ns.name, name: 'cluster6', ips: [CLUSTER6] });
    await waitForRoute(`${CLUSTER4}/32`, v4, { timeoutMs: 30_000 });
    await waitForRoute(`${CLUSTER6}/128`, v6, { timeoutMs: 30_000 });
    for (const node of nodes) {
      await waitFor(
        async () =>
          (await metric(node, 'ironlb_bgp_prefixes_advertised{family="ipv4"}')) === 1 &&
          (await metric(node, 'ironlb_bgp_prefixes_advertised{family="ipv6"}')) === 1,
        { what: `${node} advertising one IPv4 and one IPv6 prefix`, timeoutMs: 15_000 },
      );
      expect(await metric(node, 'ironlb_bgp_reload_failures_total')).toBe(0);
    }
  });

  it("sends the advertisement's communities (standard and large) over the IPv4 and the IPv6 session", async () => {
    await waitForRoute(`${CLUSTER4}/32`, v4, { timeoutMs: 30_000 });
    await waitForRoute(`${CLUSTER6}/128`, v6, { timeoutMs: 30_000 });
    for (const prefix of [`${CLUSTER4}/32`, `${CLUSTER6}/128`]) {
      const json = JSON.parse(await vtysh([`show bgp ${familyOf(prefix)} unicast ${prefix} json`])) as {
        prefix?: string;
        paths?: RouterPathJson[];
      };
      expect(json.prefix).toBe(prefix);
      const paths = json.paths ?? [];
      expect(paths).toHaveLength(nodes.length);
      for (const path of paths) {
        expect(path.community?.list).toEqual([COMMUNITY]);
        expect(path.largeCommunity?.list).toEqual([LARGE_COMMUNITY]);
      }
    }
  });

  it('ETP Local: only the node with the ready endpoint, following the pod when it moves', async () => {
    const [first = '', second = ''] = nodes;
    const { core } = kubeClients();
    await createLbService({
      namespace: ns.name,
      name: 'local4',
      loadBalancerClass: CLASS,
      externalTrafficPolicy: 'Local',
      selector: { app: 'local4' },
      ipFamilyPolicy: 'SingleStack',
      ipFamilies: ['IPv4'],
      allocateLoadBalancerNodePorts: false,
    });
    await setIngress({ namespace: ns.name, name: 'local4', ips: [LOCAL4] });
    // No endpoint anywhere: no node advertises it, and the Service says why.
    await waitForEvent({
      namespace: ns.name,
      name: 'local4',
      reason: 'BGPNotAdvertised',
      contains: 'no node has a ready endpoint',
      timeoutMs: 15_000,
    });
    expect(await routerNextHops(`${LOCAL4}/32`)).toEqual([]);
    await createReadyPod({ namespace: ns.name, name: 'local4-a', node: first, labels: { app: 'local4' } });
    await waitForRoute(`${LOCAL4}/32`, [labNode(first).ipv4], { timeoutMs: 30_000 });
    // The pod moves: the route follows it.
    await createReadyPod({ namespace: ns.name, name: 'local4-b', node: second, labels: { app: 'local4' } });
    await core.deleteNamespacedPod({ namespace: ns.name, name: 'local4-a', gracePeriodSeconds: 0 });
    await waitForRoute(`${LOCAL4}/32`, [labNode(second).ipv4], { timeoutMs: 30_000 });
    // The Cluster Service is untouched throughout.
    await waitForRoute(`${CLUSTER4}/32`, v4, { timeoutMs: 5_000 });
  });

  it('a speaker restart withdraws nothing: the router keeps every next hop throughout', async () => {
    const [victim = ''] = nodes;
    await waitForRoute(`${CLUSTER4}/32`, v4, { timeoutMs: 30_000 });
    const samples: string[][] = [];
    const sampling = { on: true };
    const sampler = (async (): Promise<void> => {
      while (sampling.on) {
        samples.push(await routerNextHops(`${CLUSTER4}/32`));
        await sleep(100);
      }
    })();
    await speakers.stop(victim);
    speakers.start(victim, bgpSpeakerArgs(victim));
    await waitFor(async () => (await metric(victim, 'ironlb_bgp_sessions_up')) === 2, {
      what: `${victim} back with 2 sessions`,
      timeoutMs: 60_000,
      intervalMs: 250,
    });
    // Past the restarted speaker's first plans (warm-up, then a resync).
    await sleep(6000);
    sampling.on = false;
    await sampler;
    expect(samples.length).toBeGreaterThan(20);
    expect(samples.filter((s) => s.join(' ') !== [...v4].sort().join(' '))).toEqual([]);
  });
});
