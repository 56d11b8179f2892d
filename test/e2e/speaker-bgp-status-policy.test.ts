/**
 * The chart's admission policy for BGPPeer status on the lab API server: RBAC lets the speaker's ServiceAccount patch
 * the status of every BGPPeer; the policy `<speaker>-own-node-bgp-status` lets a speaker token (bound to a Pod on its
 * node, as a DaemonSet pod's token is) write only its own node's entry of status.sessions (server-side apply, as the
 * speaker does) and refuses adding, changing or removing another node's entry, or any write with a token that names
 * no node. The admin is untouched.
 *
 * Applies only the chart's speaker ServiceAccount, ClusterRole, ClusterRoleBinding and the two policies (no
 * workloads). Unique per run: release name = namespace (`ironlb-stpol-<hex>`) and the BGPPeer's name.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ApiException,
  CustomObjectsApi,
  KubeConfig,
  PatchStrategy,
  setHeaderOptions,
} from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { applyServerSide, createNodePod, renderChart, serviceAccountKubeconfig } from './support/chart.js';
import {
  apply,
  deleteObjects,
  installCrds,
  kubectl,
  labKubeconfigPath,
  labNodes,
  runCleanup,
  waitFor,
} from './support/index.js';

const SUFFIX = randomBytes(3).toString('hex');
const RELEASE = `ironlb-stpol-${SUFFIX}`;
const NS = RELEASE;
const SPEAKER_SA = `${RELEASE}-speaker`;
const PEER = `e2e-stpol-${SUFFIX}`;
const KINDS = ['ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'ValidatingAdmissionPolicy'];
const [own = '', other = ''] = labNodes();

let dir: string;
let applied: string[] = [];
let mine: CustomObjectsApi;
let unbound: CustomObjectsApi;
const admin = (): CustomObjectsApi => clientFrom(labKubeconfigPath());

function clientFrom(kubeconfig: string): CustomObjectsApi {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
  return kc.makeApiClient(CustomObjectsApi);
}

/** Server-side apply of a status body as `manager`; resolves to the HTTP code and the error message. */
async function applyStatus(
  api: CustomObjectsApi,
  manager: string,
  status: object,
): Promise<{ code: number; message?: string }> {
  const body = { apiVersion: 'ironlb.io/v1alpha1', kind: 'BGPPeer', metadata: { name: PEER }, status };
  try {
    await api.patchClusterCustomObjectStatus(
      {
        group: 'ironlb.io',
        version: 'v1alpha1',
        plural: 'bgppeers',
        name: PEER,
        body,
        fieldManager: manager,
        force: true,
      },
      setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply),
    );
    return { code: 200 };
  } catch (error) {
    if (!(error instanceof ApiException)) throw error;
    return { code: error.code, message: String(error.body) };
  }
}

async function sessions(): Promise<{ node: string; state: string }[]> {
  const o = (await admin().getClusterCustomObjectStatus({
    group: 'ironlb.io',
    version: 'v1alpha1',
    plural: 'bgppeers',
    name: PEER,
  })) as { status?: { sessions?: { node: string; state: string }[] } };
  return (o.status?.sessions ?? []).map(({ node, state }) => ({ node, state }));
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ironlb-stpol-'));
  await installCrds();
  const valuesFile = join(dir, 'values.json');
  writeFileSync(valuesFile, JSON.stringify({ quickStart: { enabled: false } }));
  const { objects } = await renderChart({ release: RELEASE, namespace: NS, valuesFile });
  const wanted = objects.filter(
    (o) => KINDS.some((k) => o.kind.startsWith(k)) && o.metadata.name.startsWith(`${RELEASE}-speaker`),
  );
  await kubectl(['create', 'namespace', NS]);
  applied = await applyServerSide(wanted.map((o) => stringify(o)).join('---\n'));
  await apply(
    `apiVersion: ironlb.io/v1alpha1\nkind: BGPPeer\nmetadata: {name: ${PEER}}\nspec:\n  myASN: 64513\n  peerASN: 64512\n  peerAddress: "192.0.2.61"`,
  );
  const pod = await createNodePod({
    namespace: NS,
    name: `${SPEAKER_SA}-${own}`,
    serviceAccountName: SPEAKER_SA,
    node: own,
  });
  mine = clientFrom(await serviceAccountKubeconfig({ namespace: NS, name: SPEAKER_SA, dir, boundPod: pod }));
  unbound = clientFrom(await serviceAccountKubeconfig({ namespace: NS, name: SPEAKER_SA, dir }));
  // The API server loads a new ValidatingAdmissionPolicy and its binding asynchronously: wait until it refuses
  // a write with a token that names no node (the same write is harmless before: our node's entry, replaced below).
  await waitFor(
    async () => {
      const r = await applyStatus(unbound, `ironlb-speaker-${own}`, {
        sessions: [{ node: own, state: 'Idle' }],
      });
      return r.code === 403 && r.message?.includes('only with a token that names its node') === true;
    },
    { what: 'the BGPPeer status admission policy in effect', timeoutMs: 30_000, intervalMs: 250 },
  );
  // The other node's speaker (here: the admin under that node's field manager) has written its entry.
  expect(
    await applyStatus(admin(), `ironlb-speaker-${other}`, {
      sessions: [{ node: other, state: 'Established' }],
      summary: '1/1 Established',
    }),
  ).toEqual({ code: 200 });
}, 120_000);

afterAll(async () => {
  await runCleanup([
    ['BGPPeer', () => deleteObjects('bgppeers.ironlb.io', [PEER])],
    ['namespace', () => kubectl(['delete', 'namespace', NS, '--wait=false'])],
    [
      'cluster objects',
      () => {
        const names = applied
          .map((l) => l.split(' ')[0] ?? '')
          .filter((n) => !n.startsWith('serviceaccount'));
        return names.length === 0 ? undefined : kubectl(['delete', '--ignore-not-found', ...names]);
      },
    ],
    [
      'temp dir',
      () => {
        rmSync(dir, { recursive: true, force: true });
      },
    ],
  ]);
});

describe('chart admission policy: BGPPeer status', () => {
  it("a speaker token writes its own node's entry (and the summary); another node's entry stays", async () => {
    expect(
      await applyStatus(mine, `ironlb-speaker-${own}`, {
        sessions: [{ node: own, state: 'Active' }],
        summary: '1/2 Established; x Active',
      }),
    ).toEqual({ code: 200 });
    expect((await sessions()).sort((a, b) => a.node.localeCompare(b.node))).toEqual(
      [
        { node: own, state: 'Active' },
        { node: other, state: 'Established' },
      ].sort((a, b) => a.node.localeCompare(b.node)),
    );
  });

  it("refuses changing or adding another node's entry, and any write with a token that names no node", async () => {
    const refused = `the ironlb speaker of node ${own} may change only its own entry of status.sessions`;
    for (const entry of [
      { node: other, state: 'Idle' },
      { node: 'no-such-node', state: 'Established' },
    ]) {
      const r = await applyStatus(mine, `ironlb-speaker-${own}`, { sessions: [entry] });
      expect(r.code, JSON.stringify(entry)).toBe(403);
      expect(r.message).toContain(refused);
    }
    const r = await applyStatus(unbound, `ironlb-speaker-${own}`, {
      sessions: [{ node: own, state: 'Idle' }],
    });
    expect(r.code).toBe(403);
    expect(r.message).toContain('only with a token that names its node');
    expect((await sessions()).find((s) => s.node === other)?.state).toBe('Established');
  });
});
