/**
 * BGPPeer status on the lab (issue 12, "status a user can read with kubectl"): built speakers drive each node's FRR,
 * each writes its own node's entry of `status.sessions` (server-side apply, one field manager per node) and the
 * summary that `kubectl get bgppeers` prints.
 * - every node's session up: `kubectl get bgppeer -o yaml` lists each node Established, the SESSIONS column says
 *   `3/3 Established`, and every entry is owned by that node's field manager;
 * - the router shuts one node's neighbor: that node's entry leaves Established (the others keep theirs and their
 *   lastChange), the summary names it; the neighbor back: Established again.
 *
 * Drives the same node FRR instances and router neighbors as the other speaker-bgp suites: run it alone. Own
 * object names, speaker ports and process names; no Services. afterAll re-enables the neighbor, deletes the BGPPeer
 * and puts every node's FRR back to the lab's initial configuration.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { renderInitialNodeConfig } from '../lab/bgp/frr-config.js';
import type { BgpLabPlan } from '../lab/bgp/plan.js';
import {
  apply,
  deleteObjects,
  installCrds,
  kubectl,
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

const NAME = 'e2e-speaker-bgp-status';
const PORTS = { metrics: 27987, membership: 28461 };

let plan: BgpLabPlan;
let speakers: SpeakerSet | undefined;
const neighbor = new RouterNeighborSwitch();
const nodes = labNodes();

interface Entry {
  node: string;
  state: string;
  lastChange?: string;
}
interface PeerYaml {
  metadata: { managedFields?: { manager: string; subresource?: string; fieldsV1?: unknown }[] };
  status?: { sessions?: Entry[]; summary?: string };
}

async function peerYaml(): Promise<PeerYaml> {
  return parse(await kubectl(['get', 'bgppeer', NAME, '-o', 'yaml', '--show-managed-fields'])) as PeerYaml;
}

/** Waits until the BGPPeer's status shows exactly `want` (node → state) and the summary matches; returns it. */
async function waitForStatus(want: Record<string, string>, summary: string): Promise<PeerYaml> {
  let last = '';
  return waitFor(
    async () => {
      const y = await peerYaml();
      const sessions = [...(y.status?.sessions ?? [])].sort((a, b) => a.node.localeCompare(b.node));
      const got = Object.fromEntries(sessions.map((s) => [s.node, s.state]));
      last = JSON.stringify(y.status ?? {});
      return JSON.stringify(got) === JSON.stringify(want) && y.status?.summary === summary ? y : undefined;
    },
    {
      what: `BGPPeer ${NAME} status ${JSON.stringify(want)} "${summary}" (last: ${last})`,
      timeoutMs: 60_000,
    },
  );
}

beforeAll(async () => {
  plan = await ensureBgpLab();
  await installCrds();
  const r = plan.router;
  await apply(
    `apiVersion: ironlb.io/v1alpha1\nkind: BGPPeer\nmetadata: {name: ${NAME}}\nspec:\n  myASN: ${plan.nodeAsn}\n  peerASN: ${r.asn}\n  peerAddress: "${r.ipv4}"`,
  );
  speakers = startBgpSpeakers({
    nodes,
    name: NAME,
    ports: PORTS,
    args: ['--log-level', 'debug', '--bgp-session-poll', '500ms'],
  });
}, 180_000);

afterAll(async () => {
  await runCleanup([
    ['router neighbor', () => neighbor.restore()],
    ['stop speakers', () => speakers?.stopAll()],
    ['BGPPeer', () => deleteObjects('bgppeers.ironlb.io', [NAME])],
    [
      'node FRR',
      async () => {
        for (const node of nodes) await applyNodeFrrConfig(node, renderInitialNodeConfig(node));
      },
    ],
  ]);
}, 180_000);

const all = (state: string): Record<string, string> =>
  Object.fromEntries([...nodes].sort().map((n) => [n, state]));

describe('speaker BGP mode: BGPPeer status', () => {
  it('every node Established in status.sessions, each entry written by its own node, summary in kubectl get', async () => {
    const y = await waitForStatus(all('Established'), `${nodes.length}/${nodes.length} Established`);
    for (const s of y.status?.sessions ?? []) expect(Date.parse(s.lastChange ?? '')).toBeGreaterThan(0);
    const managers = (y.metadata.managedFields ?? [])
      .filter((m) => m.subresource === 'status')
      .map((m) => m.manager);
    for (const node of nodes) {
      const mine = (y.metadata.managedFields ?? []).find((m) => m.manager === `ironlb-speaker-${node}`);
      expect(mine, `field manager of ${node} in ${managers.join(',')}`).toBeDefined();
      // Each node's manager owns exactly its own entry of the map list keyed by node.
      const fields = mine?.fieldsV1 as
        { 'f:status'?: { 'f:sessions'?: Record<string, unknown> } } | undefined;
      const owned = Object.keys(fields?.['f:status']?.['f:sessions'] ?? {}).filter((k) => k.startsWith('k:'));
      expect(owned).toEqual([`k:{"node":"${node}"}`]);
    }
    const table = await kubectl(['get', 'bgppeers', NAME]);
    expect(table).toMatch(/SESSIONS/u);
    expect(table).toContain(`${nodes.length}/${nodes.length} Established`);
  });

  it("the router shuts one node's neighbor: only that node's entry changes; back up: Established again", async () => {
    const [victim = ''] = nodes;
    const before = await waitForStatus(all('Established'), `${nodes.length}/${nodes.length} Established`);
    await neighbor.set(labNode(victim).ipv4, true);
    const down = await waitFor(
      async () => {
        const y = await peerYaml();
        const entry = y.status?.sessions?.find((s) => s.node === victim);
        return entry !== undefined && entry.state !== 'Established' ? y : undefined;
      },
      { what: `${victim}'s entry leaving Established`, timeoutMs: 60_000 },
    );
    const entry = down.status?.sessions?.find((s) => s.node === victim);
    expect(down.status?.summary).toContain(`${nodes.length - 1}/${nodes.length} Established; ${victim} `);
    for (const other of nodes.slice(1)) {
      const was = before.status?.sessions?.find((s) => s.node === other);
      const now = down.status?.sessions?.find((s) => s.node === other);
      expect(now).toEqual(was);
    }
    expect(entry?.lastChange).not.toBe(before.status?.sessions?.find((s) => s.node === victim)?.lastChange);
    await neighbor.set(labNode(victim).ipv4, false);
    await waitForStatus(all('Established'), `${nodes.length}/${nodes.length} Established`);
  });
});
