/**
 * The BGPPeer, BGPAdvertisement and BFDProfile CRDs' schemas and CEL rules on the real kube-apiserver: every
 * manifest of the shared invalid table is rejected with its own message (and the kind's parser agrees), valid
 * examples are accepted with the defaults the parsers assume, and `kubectl get bgppeers` shows the session
 * columns. Validation requests are server-side dry runs (dryRun=All): nothing is stored. The one stored
 * object (a peer for the printer columns) has its own name prefix, selects no node (no speaker dials it) and
 * is deleted afterwards.
 */
import { ApiException, CustomObjectsApi } from '@kubernetes/client-node';
import {
  bgpSessionSummary,
  parseBfdProfile,
  parseBgpAdvertisement,
  parseBgpPeer,
  type BgpSessionStatus,
  type Result,
} from '@ironlb/shared';
import {
  BGP_PLURALS,
  type BgpKind,
  basePeerSpec,
  invalidBgpObjects,
} from '../../shared/src/config/testing/invalid-bgp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installCrds, kubectl } from './support/ironlb.js';
import { kubeClients } from './support/kube.js';

const custom = kubeClients().kc.makeApiClient(CustomObjectsApi);
const GROUP = { group: 'ironlb.io', version: 'v1alpha1' } as const;

type Outcome =
  { accepted: true; stored: Record<string, unknown> } | { accepted: false; code: number; message: string };

const PARSERS: Readonly<Record<BgpKind, (obj: unknown) => Result<unknown, string[]>>> = {
  BGPPeer: parseBgpPeer,
  BGPAdvertisement: parseBgpAdvertisement,
  BFDProfile: parseBfdProfile,
};

async function create(
  kind: BgpKind,
  body: object,
  o: { fieldValidation?: 'Strict'; dryRun: boolean },
): Promise<Outcome> {
  try {
    const stored = (await custom.createClusterCustomObject({
      ...GROUP,
      plural: BGP_PLURALS[kind],
      body,
      ...(o.dryRun ? { dryRun: 'All' } : {}),
      ...(o.fieldValidation ? { fieldValidation: o.fieldValidation } : {}),
    })) as Record<string, unknown>;
    return { accepted: true, stored };
  } catch (error) {
    if (!(error instanceof ApiException)) throw error;
    const text = typeof error.body === 'string' ? error.body : JSON.stringify(error.body);
    const parsed = JSON.parse(text) as { message?: string };
    return { accepted: false, code: error.code, message: parsed.message ?? text };
  }
}

function manifest(kind: BgpKind, name: string, spec: Record<string, unknown>): Record<string, unknown> {
  return { apiVersion: 'ironlb.io/v1alpha1', kind, metadata: { name }, spec };
}

const validObjects: readonly (readonly [BgpKind, Record<string, unknown>])[] = [
  ['BGPPeer', manifest('BGPPeer', 'bgpv-minimal', { ...basePeerSpec })],
  [
    'BGPPeer',
    manifest('BGPPeer', 'bgpv-full-v6', {
      myASN: 4200000000,
      peerASN: 4200000000,
      peerAddress: '2001:db8:ffff::fe',
      sourceAddress: '2001:db8:ffff::1',
      peerPort: 1179,
      holdTime: '1m30s',
      keepaliveTime: '30s',
      passwordSecret: { name: 'bgp-auth', key: 'router-1.password' },
      bfdProfile: 'fast',
      nodeSelector: { matchLabels: { 'topology.kubernetes.io/zone': 'a' } },
      ebgpMultiHop: true,
    }),
  ],
  [
    'BGPPeer',
    manifest('BGPPeer', 'bgpv-hold-zero', { ...basePeerSpec, holdTime: '0s', keepaliveTime: '1h' }),
  ],
  ['BGPAdvertisement', manifest('BGPAdvertisement', 'bgpv-adv-empty', {})],
  [
    'BGPAdvertisement',
    manifest('BGPAdvertisement', 'bgpv-adv-full', {
      ipPools: ['pool-a'],
      ipPoolSelector: { matchExpressions: [{ key: 'bgp', operator: 'Exists' }] },
      nodeSelector: { matchLabels: { edge: 'true' } },
      peers: ['router-1', 'router-2'],
      communities: ['65000:100', '0:0', '65535:65535', 'large:4294967295:0:1', 'no-export'],
      localPref: 4294967295,
      aggregationLength: 24,
      aggregationLengthV6: 64,
    }),
  ],
  ['BFDProfile', manifest('BFDProfile', 'bgpv-bfd-empty', {})],
  [
    'BFDProfile',
    manifest('BFDProfile', 'bgpv-bfd-full', {
      receiveInterval: 50,
      transmitInterval: 50,
      detectMultiplier: 3,
      echoInterval: 10,
      echoMode: true,
      passiveMode: false,
      minimumTtl: 254,
    }),
  ],
];

const PRINTED_PEER = 'bgpv-printer-columns';

beforeAll(async () => {
  await installCrds();
  await kubectl([
    'wait',
    '--for=condition=Established',
    'crd/bgppeers.ironlb.io',
    'crd/bgpadvertisements.ironlb.io',
    'crd/bfdprofiles.ironlb.io',
  ]);
});

afterAll(async () => {
  await kubectl(['delete', 'bgppeers.ironlb.io', PRINTED_PEER, '--ignore-not-found']);
});

describe('BGP kinds validation by kube-apiserver', () => {
  it('the table has at least 10 distinct cases of each kind', () => {
    for (const kind of ['BGPPeer', 'BGPAdvertisement', 'BFDProfile'] as const) {
      const cases = invalidBgpObjects.filter((c) => c.kind === kind);
      expect(new Set(cases.map((c) => c.expected)).size).toBeGreaterThanOrEqual(kind === 'BGPPeer' ? 10 : 6);
    }
  });

  it.each(invalidBgpObjects.map((c) => [c.name, c] as const))('rejects %s', async (_name, c) => {
    const outcome = await create(c.kind, c.manifest, { fieldValidation: c.fieldValidation, dryRun: true });
    expect(outcome.accepted).toBe(false);
    if (outcome.accepted) return;
    // Strict field validation answers 400 BadRequest; schema and CEL failures 422 Invalid.
    expect(outcome.code).toBe(c.fieldValidation === 'Strict' ? 400 : 422);
    expect(outcome.message).toContain(c.expected);
    const parsed = PARSERS[c.kind](c.manifest);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.error.join('\n')).toContain(c.expected);
  });

  it.each(validObjects.map(([kind, m]) => [(m.metadata as { name: string }).name, kind, m] as const))(
    'accepts %s, and the parser reads the stored object with the same defaults',
    async (_name, kind, m) => {
      const outcome = await create(kind, m, { fieldValidation: 'Strict', dryRun: true });
      expect(outcome.accepted).toBe(true);
      if (!outcome.accepted) return;
      const fromManifest = PARSERS[kind](m);
      const fromStored = PARSERS[kind]({ ...outcome.stored, metadata: m.metadata });
      expect(fromManifest.ok).toBe(true);
      expect(fromStored).toEqual(fromManifest);
    },
  );

  it('words field and object rules as docs/bgp.md shows them', async () => {
    const outcome = await create(
      'BGPPeer',
      manifest('BGPPeer', 'bgpv-doc-example', {
        ...basePeerSpec,
        holdTime: '2s',
        sourceAddress: '2001:db8:ffff::1',
      }),
      { dryRun: true },
    );
    expect(outcome.accepted).toBe(false);
    if (outcome.accepted) return;
    expect(outcome.message).toContain(
      'spec.holdTime: Invalid value: "2s": holdTime must be 0s (no keepalives) or between 3s and 65535s',
    );
    expect(outcome.message).toContain(
      'spec: Invalid value: sourceAddress must be of the same IP family as peerAddress',
    );
  });

  it('kubectl get bgppeers shows address, ASN and the session summary; jsonpath lists every node', async () => {
    const created = await create(
      'BGPPeer',
      // A node selector no node matches: a speaker of a concurrent BGP suite never dials this peer.
      manifest('BGPPeer', PRINTED_PEER, {
        ...basePeerSpec,
        peerAddress: '198.51.100.254',
        nodeSelector: { matchLabels: { 'ironlb.io/e2e-bgp-validation': 'no-such-node' } },
      }),
      { dryRun: false },
    );
    expect(created.accepted).toBe(true);
    const sessions: BgpSessionStatus[] = [
      { node: 'node-b', state: 'Established', lastChange: '2026-12-01T00:00:00Z' },
      { node: 'node-a', state: 'Established', lastChange: '2026-12-01T00:00:00Z' },
      { node: 'node-c', state: 'Active', lastChange: '2026-12-01T00:00:01Z' },
    ];
    await kubectl([
      'patch',
      'bgppeers.ironlb.io',
      PRINTED_PEER,
      '--subresource=status',
      '--type=merge',
      '-p',
      JSON.stringify({ status: { sessions, summary: bgpSessionSummary(sessions) } }),
    ]);
    const wide = await kubectl(['get', 'bgppeers.ironlb.io', PRINTED_PEER, '-o', 'wide', '--no-headers']);
    const header = await kubectl(['get', 'bgppeers.ironlb.io', PRINTED_PEER, '-o', 'wide']);
    expect(header.split('\n')[0]?.split(/\s{2,}/)).toEqual([
      'NAME',
      'ADDRESS',
      'ASN',
      'SESSIONS',
      'MY ASN',
      'BFD PROFILE',
      'MULTI HOP',
      'AGE',
    ]);
    expect(wide).toMatch(
      new RegExp(
        `^${PRINTED_PEER}\\s+198\\.51\\.100\\.254\\s+64513\\s+2/3 Established; node-c Active\\s+64512\\s`,
      ),
    );
    // The per-node states themselves, as docs/bgp.md shows them.
    const states = await kubectl([
      'get',
      'bgppeers.ironlb.io',
      PRINTED_PEER,
      '-o',
      'jsonpath={range .status.sessions[*]}{.node} {.state}{"\\n"}{end}',
    ]);
    expect(states.trim().split('\n')).toEqual(['node-b Established', 'node-a Established', 'node-c Active']);
  });
});
