/**
 * BGP session events and the pruning of deleted nodes' status entries on the lab (issue 12, "status a user can
 * read"): built speakers drive each node's FRR against the lab router.
 * - the router shuts one node's neighbor: a real Kubernetes Warning `BGPSessionDown` on the BGPPeer names the
 *   node and the peer address; the neighbor back: a Normal `BGPSessionEstablished` for the same node;
 * - a BGPPeer at an address where nothing answers: every node reports one Warning `BGPSessionNotEstablished`
 *   (after the speaker's 60 s grace time);
 * - a Node object is created, an entry is written for it under its speaker's field manager, the Node is deleted:
 *   the built controller (leader) removes that entry, and its field manager, while the real nodes' entries stay.
 *
 * Events are read as `kubectl get events` shows them (core/v1 view, namespace `default`: BGPPeers are
 * cluster-scoped). Drives the same node FRR instances and router neighbors as the other speaker-bgp suites: run
 * it alone. Own object names, speaker and controller ports, loadBalancerClass and label (no Services, no pools).
 * afterAll re-enables the neighbor, deletes the BGPPeers and the Node, and puts every node's FRR back.
 */
import { CustomObjectsApi, KubeConfig, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { renderInitialNodeConfig } from '../lab/bgp/frr-config.js';
import type { BgpLabPlan } from '../lab/bgp/plan.js';
import { type ControllerProcess, startController } from './support/controller-process.js';
import {
  apply,
  deleteObjects,
  installCrds,
  kubectl,
  labKubeconfigPath,
  labNode,
  labNodes,
  runCleanup,
  waitFor,
} from './support/index.js';
import {
  applyNodeFrrConfig,
  ensureBgpLab,
  RouterNeighborSwitch,
  startBgpSpeakers,
} from './support/router.js';
import { SpeakerSet } from './support/speakers.js';

const NAME = 'e2e-bgp-events';
const VOID = 'e2e-bgp-events-void';
/** On the lab LAN, between the iBGP peer (.62) and the pods (.64/26): nothing answers there. */
const VOID_ADDRESS = '192.0.2.63';
const GHOST = 'e2e-bgp-events-ghost';
const PORTS = { metrics: 28713, membership: 28791 };
const CONTROLLER_PORT = 17733;
const CLASS = 'ironlb.io/e2e-bgp-events';

let plan: BgpLabPlan;
let speakers: SpeakerSet | undefined;
let controller: ControllerProcess | undefined;
const neighbor = new RouterNeighborSwitch();
const nodes = labNodes();
const started = Date.now();

interface CoreEvent {
  type: string;
  reason: string;
  message?: string;
  note?: string;
  involvedObject: { kind: string; name: string; uid?: string };
  eventTime?: string;
  lastTimestamp?: string;
  metadata: { creationTimestamp: string; namespace: string };
}

/** Events on a BGPPeer as `kubectl get events -A --field-selector involvedObject.kind=BGPPeer,…` lists them. */
async function peerEvents(peer: string): Promise<CoreEvent[]> {
  const out = await kubectl([
    'get',
    'events',
    '-A',
    '--field-selector',
    `involvedObject.kind=BGPPeer,involvedObject.name=${peer}`,
    '-o',
    'json',
  ]);
  return (JSON.parse(out) as { items: CoreEvent[] }).items;
}

const text = (e: CoreEvent): string => e.message ?? e.note ?? '';
const createdAfter = (e: CoreEvent, ms: number): boolean =>
  Date.parse(e.metadata.creationTimestamp) >= ms - 1000;

async function waitForEvent(o: {
  peer: string;
  reason: string;
  type: string;
  contains: readonly string[];
  after: number;
  timeoutMs: number;
}): Promise<CoreEvent> {
  let seen = '';
  return waitFor(
    async () => {
      const events = await peerEvents(o.peer);
      seen = events.map((e) => `${e.reason}: ${text(e)}`).join(' | ');
      return events.find(
        (e) =>
          e.reason === o.reason &&
          e.type === o.type &&
          createdAfter(e, o.after) &&
          o.contains.every((c) => text(e).includes(c)),
      );
    },
    {
      what: `${o.type} ${o.reason} on BGPPeer ${o.peer} with ${o.contains.join(', ')} (seen: ${seen})`,
      timeoutMs: o.timeoutMs,
      intervalMs: 1000,
    },
  );
}

interface PeerYaml {
  metadata: { managedFields?: { manager: string }[] };
  status?: { sessions?: { node: string; state: string }[]; summary?: string };
}

async function peerYaml(peer: string): Promise<PeerYaml> {
  return parse(await kubectl(['get', 'bgppeer', peer, '-o', 'yaml', '--show-managed-fields'])) as PeerYaml;
}

const summaryAll = `${nodes.length}/${nodes.length} Established`;

async function waitAllEstablished(): Promise<PeerYaml> {
  let last = '';
  return waitFor(
    async () => {
      const y = await peerYaml(NAME);
      last = JSON.stringify(y.status ?? {});
      const states = (y.status?.sessions ?? []).filter((s) => nodes.includes(s.node));
      const up = states.length === nodes.length && states.every((s) => s.state === 'Established');
      return up ? y : undefined;
    },
    { what: `every node Established with ${NAME} (last: ${last})`, timeoutMs: 90_000 },
  );
}

/** Server-side apply of the ghost node's entry as its speaker would (its field manager), with the admin's token. */
async function writeGhostEntry(): Promise<void> {
  const kc = new KubeConfig();
  kc.loadFromFile(labKubeconfigPath());
  const body = {
    apiVersion: 'ironlb.io/v1alpha1',
    kind: 'BGPPeer',
    metadata: { name: NAME },
    status: {
      sessions: [
        { node: GHOST, state: 'Established', lastChange: new Date().toISOString().replace(/\.\d+Z$/, 'Z') },
      ],
    },
  };
  await kc.makeApiClient(CustomObjectsApi).patchClusterCustomObjectStatus(
    {
      group: 'ironlb.io',
      version: 'v1alpha1',
      plural: 'bgppeers',
      name: NAME,
      body,
      fieldManager: `ironlb-speaker-${GHOST}`,
      force: true,
    },
    setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply),
  );
}

beforeAll(async () => {
  plan = await ensureBgpLab();
  await installCrds();
  const r = plan.router;
  const peer = (name: string, address: string): string =>
    `apiVersion: ironlb.io/v1alpha1\nkind: BGPPeer\nmetadata: {name: ${name}}\nspec:\n  myASN: ${plan.nodeAsn}\n  peerASN: ${r.asn}\n  peerAddress: "${address}"`;
  await apply(peer(NAME, r.ipv4));
  await apply(peer(VOID, VOID_ADDRESS));
  speakers = startBgpSpeakers({
    nodes,
    name: NAME,
    ports: PORTS,
    args: ['--log-level', 'debug', '--bgp-session-poll', '500ms', `--load-balancer-class=${CLASS}`],
  });
}, 180_000);

afterAll(async () => {
  await runCleanup([
    ['router neighbor', () => neighbor.restore()],
    ['controller', () => controller?.stop()],
    ['stop speakers', () => speakers?.stopAll()],
    ['Node', () => deleteObjects('nodes', [GHOST])],
    ['BGPPeers', () => deleteObjects('bgppeers.ironlb.io', [NAME, VOID])],
    [
      'node FRR',
      async () => {
        for (const node of nodes) await applyNodeFrrConfig(node, renderInitialNodeConfig(node));
      },
    ],
  ]);
}, 180_000);

describe('speaker BGP mode: session events on the BGPPeer', () => {
  it("the router shuts one node's neighbor: BGPSessionDown (node, peer); back: BGPSessionEstablished", async () => {
    const [victim = ''] = nodes;
    await waitAllEstablished();
    const t0 = Date.now();
    await neighbor.set(labNode(victim).ipv4, true);
    const down = await waitForEvent({
      peer: NAME,
      reason: 'BGPSessionDown',
      type: 'Warning',
      contains: [`node ${victim}:`, `session with ${plan.router.ipv4} left Established`],
      after: t0,
      timeoutMs: 60_000,
    });
    expect(down.involvedObject.kind).toBe('BGPPeer');
    expect(down.metadata.namespace).toBe('default');
    const t1 = Date.now();
    await neighbor.set(labNode(victim).ipv4, false);
    await waitForEvent({
      peer: NAME,
      reason: 'BGPSessionEstablished',
      type: 'Normal',
      contains: [`node ${victim}:`, `session with ${plan.router.ipv4} Established again`, 'down'],
      after: t1,
      timeoutMs: 90_000,
    });
    // One episode, one Warning: the other nodes' sessions never left Established.
    const downs = (await peerEvents(NAME)).filter(
      (e) => e.reason === 'BGPSessionDown' && createdAfter(e, t0),
    );
    expect(downs.map((e) => text(e).split(':')[0])).toEqual([`node ${victim}`]);
    const described = await kubectl(['describe', 'bgppeer', NAME]);
    expect(described).toMatch(/BGPSessionDown/u);
    expect(described).toMatch(/BGPSessionEstablished/u);
  }, 200_000);

  it('a BGPPeer where nothing answers: one BGPSessionNotEstablished Warning per node', async () => {
    for (const node of nodes)
      await waitForEvent({
        peer: VOID,
        reason: 'BGPSessionNotEstablished',
        type: 'Warning',
        contains: [`node ${node}:`, `session with ${VOID_ADDRESS} not Established`],
        after: started,
        // The speakers' grace time is 60 s from the first poll that wants the session.
        timeoutMs: 150_000,
      });
    const warnings = (await peerEvents(VOID)).filter(
      (e) => e.reason === 'BGPSessionNotEstablished' && createdAfter(e, started),
    );
    expect(warnings.map((e) => text(e).split(':')[0]).sort()).toEqual(nodes.map((n) => `node ${n}`).sort());
  }, 200_000);
});

describe('controller: BGPPeer status of deleted nodes', () => {
  it("a deleted Node's entry (and its field manager) is removed; the real nodes' entries stay", async () => {
    controller = startController({
      port: CONTROLLER_PORT,
      args: [`--load-balancer-class=${CLASS}`, `--service-label-selector=${CLASS}`],
    });
    await waitAllEstablished();
    await apply(
      `apiVersion: v1\nkind: Node\nmetadata:\n  name: ${GHOST}\n  labels: {ironlb.io/e2e: bgp-events}`,
    );
    await writeGhostEntry();
    const withGhost = await peerYaml(NAME);
    expect(withGhost.status?.sessions?.map((s) => s.node)).toContain(GHOST);
    expect(withGhost.metadata.managedFields?.map((m) => m.manager)).toContain(`ironlb-speaker-${GHOST}`);
    await kubectl(['delete', 'node', GHOST, '--wait=true']);
    let last = '';
    const pruned = await waitFor(
      async () => {
        const y = await peerYaml(NAME);
        last = JSON.stringify(y.status ?? {});
        return y.status?.sessions?.some((s) => s.node === GHOST) === false ? y : undefined;
      },
      // The controller waits 30 s after a node is gone from its cache before it prunes.
      { what: `${GHOST}'s entry removed (last: ${last})`, timeoutMs: 90_000 },
    );
    const after = await waitAllEstablished();
    expect([...(after.status?.sessions ?? [])].map((s) => s.node).sort()).toEqual([...nodes].sort());
    expect(pruned.metadata.managedFields?.map((m) => m.manager)).not.toContain(`ironlb-speaker-${GHOST}`);
    for (const node of nodes)
      expect(after.metadata.managedFields?.map((m) => m.manager)).toContain(`ironlb-speaker-${node}`);
    await waitFor(async () => (await peerYaml(NAME)).status?.summary === summaryAll, {
      what: `summary ${summaryAll}`,
      timeoutMs: 30_000,
    });
  }, 200_000);
});
