/**
 * The IPPool CRD's schema and CEL rules on the real kube-apiserver: every manifest of the shared
 * invalid-pool table is rejected with its own message (and parseIPPool agrees), valid examples are
 * accepted. All requests are server-side dry runs (dryRun=All): full validation, nothing stored,
 * so no pool of this file can ever overlap another suite's pools.
 */
import { ApiException, CustomObjectsApi } from '@kubernetes/client-node';
import { parseIPPool } from '@ironlb/shared';
import { invalidIPPools } from '../../shared/src/config/testing/invalid-ippools.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { installCrds } from './support/ironlb.js';
import { kubeClients } from './support/kube.js';

const custom = kubeClients().kc.makeApiClient(CustomObjectsApi);

type Outcome = { accepted: true } | { accepted: false; code: number; message: string };

async function dryRunCreate(body: object, fieldValidation?: 'Strict'): Promise<Outcome> {
  try {
    await custom.createClusterCustomObject({
      group: 'ironlb.io',
      version: 'v1alpha1',
      plural: 'ippools',
      body,
      dryRun: 'All',
      ...(fieldValidation ? { fieldValidation } : {}),
    });
    return { accepted: true };
  } catch (error) {
    if (!(error instanceof ApiException)) throw error;
    const body = typeof error.body === 'string' ? error.body : JSON.stringify(error.body);
    const parsed = JSON.parse(body) as { message?: string };
    return { accepted: false, code: error.code, message: parsed.message ?? body };
  }
}

function valid(name: string, spec: Record<string, unknown>): Record<string, unknown> {
  return { apiVersion: 'ironlb.io/v1alpha1', kind: 'IPPool', metadata: { name }, spec };
}

const validPools: readonly Record<string, unknown>[] = [
  valid('v-cidr', { addresses: ['198.51.100.0/28'] }),
  valid('v-mixed', {
    addresses: ['198.51.100.0/28', '198.51.100.40-198.51.100.50', '198.51.100.77', '2001:db8:100::/64'],
    autoAssign: false,
    avoidBuggyIPs: true,
  }),
  valid('v-single-v6', { addresses: ['2001:db8:100::1', '2001:db8:100::10-2001:db8:100::1f'] }),
  valid('v-scoped', {
    addresses: ['203.0.113.0/24'],
    serviceAllocation: {
      priority: 0,
      namespaces: ['shop', 'team-b'],
      serviceSelector: { matchExpressions: [{ key: 'expose', operator: 'Exists' }] },
    },
  }),
  valid('v-ns-selector', {
    addresses: ['0.0.0.0/0'],
    serviceAllocation: {
      namespaceSelector: { matchLabels: { tier: 'gold' } },
      serviceSelector: { matchExpressions: [{ key: 'app', operator: 'In', values: ['a', 'b'] }] },
    },
  }),
];

beforeAll(async () => {
  await installCrds();
});

describe('IPPool validation by kube-apiserver', () => {
  it('the table has at least 15 distinct cases', () => {
    expect(new Set(invalidIPPools.map((c) => c.expected)).size).toBeGreaterThanOrEqual(15);
  });

  it.each(invalidIPPools.map((c) => [c.name, c] as const))('rejects %s', async (_name, c) => {
    const outcome = await dryRunCreate(c.manifest, c.fieldValidation);
    expect(outcome.accepted).toBe(false);
    if (outcome.accepted) return;
    // Strict field validation answers 400 BadRequest; schema and CEL failures 422 Invalid.
    expect(outcome.code).toBe(c.fieldValidation === 'Strict' ? 400 : 422);
    expect(outcome.message).toContain(c.expected);
    const parsed = parseIPPool(c.manifest);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.error.join('\n')).toContain(c.expected);
  });

  it.each(validPools.map((p) => [(p.metadata as { name: string }).name, p] as const))(
    'accepts %s',
    async (_name, p) => {
      expect(await dryRunCreate(p, 'Strict')).toEqual({ accepted: true });
      expect(parseIPPool(p).ok).toBe(true);
    },
  );
});
