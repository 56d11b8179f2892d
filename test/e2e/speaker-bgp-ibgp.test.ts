/**
 * BGPAdvertisement localPref and communities over iBGP (issue 12, "communities and local preference visible in the
 * router's `show bgp … json`"). LOCAL_PREF travels only on iBGP sessions, so this suite starts the lab's iBGP peer
 * (FRR in `ilb-ibgp`, the nodes' own ASN; test/lab/bgp/ibgp-peer.ts) beside the lab's eBGP router. Built speakers
 * drive each node's FRR with three BGPPeers: the iBGP peer over IPv4 and IPv6 (peerASN == myASN) and the eBGP router
 * over IPv4. Two BGPAdvertisements cover the pool: one with localPref and a standard community (to all three peers),
 * one with a large community (to the iBGP peers only).
 * - the iBGP peer holds the /32 and the /128 with one internal path per node, each with locPrf = the configured
 *   value, the standard community and the large community;
 * - a changed localPref reaches every path;
 * - the eBGP router gets the standard community but no local preference (FRR shows no locPrf on its paths) and not
 *   the large community (that advertisement does not name it).
 *
 * Drives the same node FRR instances as the other speaker-bgp suites: run it alone (not beside
 * speaker-bgp*.test.ts). Own class, pool range (198.51.100.120/29, 2001:db8:100:0:1b9::/124, used by no other
 * suite), object names, speaker ports and process names. afterAll stops the iBGP peer, deletes its objects and puts
 * every node's FRR back to the lab's initial configuration.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderInitialNodeConfig } from '../lab/bgp/frr-config.js';
import type { BgpLabPlan } from '../lab/bgp/plan.js';
import {
  apply,
  createLbService,
  createTestNamespace,
  deleteObjects,
  installCrds,
  labNode,
  labNodes,
  runCleanup,
  setIngress,
  waitFor,
  type TestNamespace,
} from './support/index.js';
import {
  applyNodeFrrConfig,
  type BgpPrefixPath,
  bgpPrefixPaths,
  ensureBgpLab,
  startBgpSpeakers,
  startIbgpPeer,
  stopIbgpPeer,
  waitForBgpSessions,
  waitForRoute,
} from './support/router.js';
import { SpeakerSet } from './support/speakers.js';

const NAME = 'e2e-speaker-bgp-ibgp';
const CLASS = 'ironlb.io/e2e-bgp-ibgp';
const PORTS = { metrics: 27929, membership: 28403 };
const RANGE4 = '198.51.100.120/29';
const RANGE6 = '2001:db8:100:0:1b9::/124';
const IP4 = '198.51.100.121';
const IP6 = '2001:db8:100:0:1b9::1';
const PREFIX4 = `${IP4}/32`;
const PREFIX6 = `${IP6}/128`;
const COMMUNITY = '64513:250';
const LARGE_COMMUNITY = '64513:7:9';
const LOCAL_PREF = 250;
const CHANGED_LOCAL_PREF = 120;

let plan: BgpLabPlan;
let ibgp: BgpLabPlan['ibgp'];
let ns: TestNamespace | undefined;
let speakers: SpeakerSet | undefined;
const nodes = labNodes();
const v4 = nodes.map((n) => labNode(n).ipv4);
const v6 = nodes.map((n) => labNode(n).ipv6);

function advertisements(localPref: number): string {
  const peers = `${NAME}-i4, ${NAME}-i6, ${NAME}-e4`;
  return [
    `apiVersion: ironlb.io/v1alpha1\nkind: BGPAdvertisement\nmetadata: {name: ${NAME}-pref}\nspec:\n  ipPools: [${NAME}]\n  peers: [${peers}]\n  communities: ["${COMMUNITY}"]\n  localPref: ${localPref}`,
    `apiVersion: ironlb.io/v1alpha1\nkind: BGPAdvertisement\nmetadata: {name: ${NAME}-large}\nspec:\n  ipPools: [${NAME}]\n  peers: [${NAME}-i4, ${NAME}-i6]\n  communities: ["large:${LARGE_COMMUNITY}"]`,
  ].join('\n---\n');
}

/** A path's attributes this suite compares, one line per path, sorted by peer. */
function summary(paths: readonly BgpPrefixPath[]): string[] {
  return paths
    .map((p) =>
      [
        p.peer,
        p.peerType,
        p.localPref ?? 'no-locPrf',
        p.communities.join(','),
        p.largeCommunities.join(','),
      ].join(' '),
    )
    .sort();
}

/** Waits until `instance` (the iBGP peer's FRR, or the router's) holds `prefix` with exactly the `want` paths. */
async function waitForPaths(
  prefix: string,
  want: readonly string[],
  instance: BgpLabPlan['ibgp']['frr'] | undefined,
): Promise<BgpPrefixPath[]> {
  let last: string[] = [];
  let paths: BgpPrefixPath[] = [];
  const expected = [...want].sort();
  const probe = async (): Promise<boolean> => {
    paths = await bgpPrefixPaths(prefix, instance);
    last = summary(paths);
    return JSON.stringify(last) === JSON.stringify(expected);
  };
  try {
    // A change is an frr-reload.py on every node: up to ~25 s each at load average ~23 on 2 cores.
    await waitFor(probe, { what: `${prefix} paths [${expected.join(' | ')}]`, timeoutMs: 60_000 });
  } catch (error) {
    throw new Error(`${(error as Error).message} (last: [${last.join(' | ')}])`, { cause: error });
  }
  return paths;
}

const ibgpPath = (peer: string, localPref: number): string =>
  [peer, 'internal', localPref, COMMUNITY, LARGE_COMMUNITY].join(' ');

beforeAll(async () => {
  plan = await ensureBgpLab();
  ibgp = await startIbgpPeer();
  await installCrds();
  const r = plan.router;
  const peer = (name: string, asn: number, address: string): string =>
    `apiVersion: ironlb.io/v1alpha1\nkind: BGPPeer\nmetadata: {name: ${name}}\nspec:\n  myASN: ${plan.nodeAsn}\n  peerASN: ${asn}\n  peerAddress: "${address}"`;
  await apply(
    [
      `apiVersion: ironlb.io/v1alpha1\nkind: IPPool\nmetadata: {name: ${NAME}}\nspec:\n  addresses: ["${RANGE4}", "${RANGE6}"]`,
      peer(`${NAME}-i4`, ibgp.asn, ibgp.ipv4),
      peer(`${NAME}-i6`, ibgp.asn, ibgp.ipv6),
      peer(`${NAME}-e4`, r.asn, r.ipv4),
      advertisements(LOCAL_PREF),
    ].join('\n---\n'),
  );
  ns = await createTestNamespace(NAME);
  speakers = startBgpSpeakers({
    nodes,
    name: NAME,
    ports: PORTS,
    args: ['--load-balancer-class', CLASS, '--log-level', 'debug', '--bgp-session-poll', '500ms'],
  });
  for (const [name, family, ip] of [
    ['ibgp4', 'IPv4', IP4],
    ['ibgp6', 'IPv6', IP6],
  ] as const) {
    await createLbService({
      namespace: ns.name,
      name,
      loadBalancerClass: CLASS,
      ipFamilyPolicy: 'SingleStack',
      ipFamilies: [family],
      allocateLoadBalancerNodePorts: false,
    });
    await setIngress({ namespace: ns.name, name, ips: [ip] });
  }
  await waitForBgpSessions({ nodes, metricsPort: PORTS.metrics, sessions: 3, timeoutMs: 90_000 });
}, 180_000);

afterAll(async () => {
  await runCleanup([
    ['stop speakers', () => speakers?.stopAll()],
    ['namespace', () => ns?.cleanup()],
    ['BGPPeers', () => deleteObjects('bgppeers.ironlb.io', [`${NAME}-i4`, `${NAME}-i6`, `${NAME}-e4`])],
    [
      'BGPAdvertisements',
      () => deleteObjects('bgpadvertisements.ironlb.io', [`${NAME}-pref`, `${NAME}-large`]),
    ],
    ['IPPool', () => deleteObjects('ippools.ironlb.io', [NAME])],
    [
      'node FRR',
      async () => {
        for (const node of nodes) await applyNodeFrrConfig(node, renderInitialNodeConfig(node));
      },
    ],
    ['iBGP peer', () => stopIbgpPeer()],
  ]);
}, 180_000);

describe('speaker BGP mode: localPref and communities over iBGP', () => {
  it('the iBGP peer holds the /32 and the /128 with one internal path per node carrying locPrf and both communities', async () => {
    const paths4 = await waitForPaths(
      PREFIX4,
      v4.map((a) => ibgpPath(a, LOCAL_PREF)),
      ibgp.frr,
    );
    const paths6 = await waitForPaths(
      PREFIX6,
      v6.map((a) => ibgpPath(a, LOCAL_PREF)),
      ibgp.frr,
    );
    // iBGP multipath (maximum-paths ibgp): every node's path is used, not only the best one.
    for (const paths of [paths4, paths6]) {
      expect(paths.filter((p) => p.best)).toHaveLength(1);
      expect(paths.filter((p) => p.best || p.multipath)).toHaveLength(nodes.length);
    }
  });

  it('a changed localPref reaches every iBGP path', async () => {
    await apply(advertisements(CHANGED_LOCAL_PREF));
    await waitForPaths(
      PREFIX4,
      v4.map((a) => ibgpPath(a, CHANGED_LOCAL_PREF)),
      ibgp.frr,
    );
    await waitForPaths(
      PREFIX6,
      v6.map((a) => ibgpPath(a, CHANGED_LOCAL_PREF)),
      ibgp.frr,
    );
    await apply(advertisements(LOCAL_PREF));
    await waitForPaths(
      PREFIX4,
      v4.map((a) => ibgpPath(a, LOCAL_PREF)),
      ibgp.frr,
    );
  });

  it('the eBGP router gets the standard community but neither the local preference nor the large community', async () => {
    await waitForRoute(PREFIX4, v4, { timeoutMs: 30_000 });
    await waitForPaths(
      PREFIX4,
      v4.map((a) => [a, 'external', 'no-locPrf', COMMUNITY, ''].join(' ')),
      undefined,
    );
    // No IPv6 session to the router in this suite: the /128 is not there.
    expect(await bgpPrefixPaths(PREFIX6)).toEqual([]);
  });
});
