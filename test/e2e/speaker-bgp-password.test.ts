/**
 * BGPPeer passwordSecret on the lab (issue 12, "peer password"): built speakers drive each node's FRR; the lab's
 * router has a TCP MD5 password on every node's IPv4 session (per neighbor, `setRouterPeerPassword`), the BGPPeer
 * names a Secret in the speakers' namespace (`--bgp-secret-namespace`) holding the same password under key `md5`.
 * - right password: every node's IPv4 session is Established on the router and the Service's /32 has one next
 *   hop per node; frr.conf is mode 0600 and the speakers' logs never contain the password;
 * - the Secret changes to a wrong password: the sessions go down and stay down (TCP MD5 mismatch); the Secret
 *   fixed: they come back and the route has every next hop again (the change comes from the Secret's watch);
 * - the key removed from the Secret: the IPv4 peer is not configured at all (no neighbor in frr.conf), a Warning
 *   event BGPPasswordUnavailable names the Secret and key, and the IPv6 peer (no password) stays Established.
 *
 * Drives the same node FRR instances and router neighbors as the other speaker-bgp suites: run it alone (not beside
 * speaker-bgp*.test.ts). Own class, pool range (198.51.100.232/29, used by no other suite), object names, speaker
 * ports and process names. afterAll removes the router's passwords, deletes its objects and puts every node's FRR
 * back to the lab's initial configuration.
 */
import { readFileSync, statSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderInitialNodeConfig } from '../lab/bgp/frr-config.js';
import type { BgpLabPlan } from '../lab/bgp/plan.js';
import {
  apply,
  createLbService,
  createTestNamespace,
  deleteObjects,
  installCrds,
  kubeClients,
  labNode,
  labNodes,
  runCleanup,
  setIngress,
  waitFor,
  type TestNamespace,
} from './support/index.js';
import {
  applyNodeFrrConfig,
  type BgpFamily,
  ensureBgpLab,
  nodeFrr,
  routerBgpPeers,
  setRouterPeerPassword,
  startBgpSpeakers,
  waitForRoute,
} from './support/router.js';
import { SpeakerSet } from './support/speakers.js';

const NAME = 'e2e-speaker-bgp-pw';
const CLASS = 'ironlb.io/e2e-bgp-pw';
const PORTS = { metrics: 27963, membership: 28439 };
const RANGE4 = '198.51.100.232/29';
const IP = '198.51.100.233';
const PREFIX = `${IP}/32`;
const SECRET = 'bgp-router-md5';
const KEY = 'md5';
const PASSWORD = 'e2e-Md5!pw#7';
const WRONG = 'e2e-not-the-password';

let plan: BgpLabPlan;
let ns: TestNamespace | undefined;
let speakers: SpeakerSet | undefined;
const nodes = labNodes();
const v4 = nodes.map((n) => labNode(n).ipv4);
const v6 = nodes.map((n) => labNode(n).ipv6);
const { core } = kubeClients();

async function putSecret(data: Record<string, string>): Promise<void> {
  const namespace = ns?.name ?? '';
  const body = {
    metadata: { name: SECRET, namespace },
    data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
  };
  await core.replaceNamespacedSecret({ namespace, name: SECRET, body }).catch(async () => {
    await core.createNamespacedSecret({ namespace, body });
  });
}

/** The router's view of each node's session in `family`: node address → state. */
async function routerStates(family: BgpFamily): Promise<Map<string, string>> {
  return new Map((await routerBgpPeers(family)).map((p) => [p.peer, p.state]));
}

async function waitForSessions(
  family: BgpFamily,
  addresses: readonly string[],
  want: 'Established' | 'down',
): Promise<void> {
  let last = '';
  await waitFor(
    async () => {
      const states = await routerStates(family);
      last = JSON.stringify(Object.fromEntries(states));
      return addresses.every((a) => (states.get(a) === 'Established') === (want === 'Established'));
    },
    {
      what: `router ${family} sessions of ${addresses.join(' ')} ${want} (last: ${last})`,
      timeoutMs: 60_000,
    },
  );
}

async function peerEvents(reason: string): Promise<string[]> {
  const list = await core.listNamespacedEvent({
    namespace: 'default',
    fieldSelector: `involvedObject.kind=BGPPeer,involvedObject.name=${NAME}`,
  });
  return list.items.filter((e) => e.reason === reason).map((e) => e.message ?? '');
}

beforeAll(async () => {
  plan = await ensureBgpLab();
  await installCrds();
  ns = await createTestNamespace(NAME);
  await putSecret({ [KEY]: PASSWORD });
  for (const address of v4) await setRouterPeerPassword(address, PASSWORD);
  const r = plan.router;
  await apply(
    [
      `apiVersion: ironlb.io/v1alpha1\nkind: IPPool\nmetadata: {name: ${NAME}}\nspec:\n  addresses: ["${RANGE4}"]`,
      `apiVersion: ironlb.io/v1alpha1\nkind: BGPAdvertisement\nmetadata: {name: ${NAME}}\nspec:\n  ipPools: [${NAME}]\n  peers: [${NAME}]`,
      `apiVersion: ironlb.io/v1alpha1\nkind: BGPPeer\nmetadata: {name: ${NAME}}\nspec:\n  myASN: ${plan.nodeAsn}\n  peerASN: ${r.asn}\n  peerAddress: "${r.ipv4}"\n  holdTime: 9s\n  keepaliveTime: 3s\n  passwordSecret: {name: ${SECRET}, key: ${KEY}}`,
      `apiVersion: ironlb.io/v1alpha1\nkind: BGPPeer\nmetadata: {name: ${NAME}-v6}\nspec:\n  myASN: ${plan.nodeAsn}\n  peerASN: ${r.asn}\n  peerAddress: "${r.ipv6}"`,
    ].join('\n---\n'),
  );
  speakers = startBgpSpeakers({
    nodes,
    name: NAME,
    ports: PORTS,
    args: [
      '--load-balancer-class',
      CLASS,
      '--log-level',
      'debug',
      '--bgp-session-poll',
      '500ms',
      '--bgp-secret-namespace',
      ns.name,
    ],
  });
  await createLbService({
    namespace: ns.name,
    name: 'pw4',
    loadBalancerClass: CLASS,
    ipFamilyPolicy: 'SingleStack',
    ipFamilies: ['IPv4'],
    allocateLoadBalancerNodePorts: false,
  });
  await setIngress({ namespace: ns.name, name: 'pw4', ips: [IP] });
}, 180_000);

afterAll(async () => {
  await runCleanup([
    ['stop speakers', () => speakers?.stopAll()],
    [
      'router passwords',
      async () => {
        for (const address of v4) await setRouterPeerPassword(address, null);
      },
    ],
    ['namespace', () => ns?.cleanup()],
    ['BGPPeers', () => deleteObjects('bgppeers.ironlb.io', [NAME, `${NAME}-v6`])],
    ['BGPAdvertisement', () => deleteObjects('bgpadvertisements.ironlb.io', [NAME])],
    ['IPPool', () => deleteObjects('ippools.ironlb.io', [NAME])],
    [
      'node FRR',
      async () => {
        for (const node of nodes) await applyNodeFrrConfig(node, renderInitialNodeConfig(node));
      },
    ],
  ]);
}, 180_000);

describe('speaker BGP mode: BGPPeer passwordSecret', () => {
  it('the right password: every node session Established, one next hop per node; frr.conf 0600, no password in logs', async () => {
    await waitForSessions('ipv4', v4, 'Established');
    await waitForRoute(PREFIX, v4, { timeoutMs: 30_000 });
    for (const node of nodes) {
      const path = nodeFrr(node).configPath;
      expect(statSync(path).mode & 0o777, path).toBe(0o600);
      expect(readFileSync(path, 'utf8')).toContain(` neighbor ${plan.router.ipv4} password ${PASSWORD}\n`);
      const log = speakers?.processOf(node)?.log ?? '';
      expect(readFileSync(log, 'utf8')).not.toContain(PASSWORD);
    }
  });

  it('a wrong password in the Secret takes the sessions down; the fixed Secret brings them back', async () => {
    await waitForSessions('ipv4', v4, 'Established');
    await putSecret({ [KEY]: WRONG });
    // Only the sessions are checked here: what the router does with a node's routes once its session is lost
    // is graceful-restart.netns.test.ts's subject.
    await waitForSessions('ipv4', v4, 'down');
    // Past several connect attempts and a hold time: still down (the router drops the mismatched segments).
    await new Promise((r) => setTimeout(r, 12_000));
    const states = await routerStates('ipv4');
    expect(v4.filter((a) => states.get(a) === 'Established')).toEqual([]);
    await putSecret({ [KEY]: PASSWORD });
    await waitForSessions('ipv4', v4, 'Established');
    await waitForRoute(PREFIX, v4, { timeoutMs: 30_000 });
  });

  it('a key missing from the Secret: the peer is not configured, a Warning event says why, the other peer stays up', async () => {
    await waitForSessions('ipv6', v6, 'Established');
    const uptimeBefore = new Map((await routerBgpPeers('ipv6')).map((p) => [p.peer, p.uptimeMs]));
    await putSecret({ password: PASSWORD });
    for (const node of nodes) {
      await waitFor(() => !readFileSync(nodeFrr(node).configPath, 'utf8').includes(plan.router.ipv4), {
        what: `${node}: no neighbor ${plan.router.ipv4} in frr.conf`,
        timeoutMs: 30_000,
      });
    }
    await waitForSessions('ipv4', v4, 'down');
    await waitFor(
      async () =>
        (await peerEvents('BGPPasswordUnavailable')).find((m) =>
          m.includes(`Secret ${ns?.name ?? ''}/${SECRET} has no key '${KEY}'`),
        ),
      { what: `BGPPasswordUnavailable event on BGPPeer ${NAME}`, timeoutMs: 30_000 },
    );
    // The IPv6 peer has no password and was never touched.
    const after = await routerBgpPeers('ipv6');
    for (const address of v6) {
      const p = after.find((x) => x.peer === address);
      expect(p?.state, address).toBe('Established');
      expect(p?.uptimeMs ?? 0, `${address}: session not reset`).toBeGreaterThan(
        uptimeBefore.get(address) ?? Infinity,
      );
    }
    for (const m of await peerEvents('BGPPasswordUnavailable')) expect(m).not.toContain(PASSWORD);
    await putSecret({ [KEY]: PASSWORD });
    await waitForSessions('ipv4', v4, 'Established');
    await waitForRoute(PREFIX, v4, { timeoutMs: 30_000 });
  });
});
