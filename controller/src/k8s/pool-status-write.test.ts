import { ApiException } from '@kubernetes/client-node';
import { type CustomObjectsClient, limit } from '@ironlb/shared/kube';
import { describe, expect, it } from 'vitest';
import type { PoolObject } from './informers.js';
import { writePoolStatus } from './pool-status.js';

/** writePoolStatus (pool-status.ts): the pool status write returns the same WriteFailure as every write. */

const apiError = (code: number): ApiException<string> =>
  new ApiException(
    code,
    `HTTP-Code: ${code}`,
    JSON.stringify({ kind: 'Status', code, message: `m${code}` }),
    {},
  );

type Custom = Pick<
  CustomObjectsClient,
  'patchClusterCustomObjectStatus' | 'patchNamespacedCustomObjectStatus'
>;

function fakeCustom(error?: Error): { custom: Custom; calls: unknown[] } {
  const calls: unknown[] = [];
  const custom = {
    patchClusterCustomObjectStatus: (args: unknown) => {
      calls.push(args);
      return error === undefined ? Promise.resolve({ ok: true }) : Promise.reject(error);
    },
    patchNamespacedCustomObjectStatus: () => Promise.reject(new Error('pools are cluster-scoped')),
  } as unknown as Custom;
  return { custom, calls };
}

const pool = { metadata: { name: 'blue' }, spec: { addresses: ['192.0.2.0/30'] } } as unknown as PoolObject;
const status = { capacity: { ipv4: '4' } } as never;

describe('writePoolStatus', () => {
  it('merge-patches the status subresource of the cluster-scoped pool', async () => {
    const { custom, calls } = fakeCustom();
    const r = await writePoolStatus(
      { custom, limiter: limit(1), signal: new AbortController().signal },
      { pool, status },
    );
    expect(r.ok).toBe(true);
    expect(calls).toEqual([
      { group: 'ironlb.io', version: 'v1alpha1', plural: 'ippools', name: 'blue', body: { status } },
    ]);
  });

  it.each([
    { error: apiError(409), kind: 'conflict', code: 409 },
    { error: apiError(404), kind: 'not-found', code: 404 },
    { error: apiError(500), kind: 'error', code: 500 },
    { error: new TypeError('fetch failed'), kind: 'error', code: undefined },
  ])('returns $kind ($code) as a WriteFailure', async ({ error, kind, code }) => {
    const { custom } = fakeCustom(error);
    const r = await writePoolStatus(
      { custom, limiter: limit(1), signal: new AbortController().signal },
      { pool, status },
    );
    expect(r.ok ? undefined : { kind: r.error.kind, code: r.error.code }).toEqual({ kind, code });
  });

  it('writes nothing once leadership ended', async () => {
    const { custom, calls } = fakeCustom();
    const r = await writePoolStatus(
      { custom, limiter: limit(1), signal: AbortSignal.abort() },
      { pool, status },
    );
    expect(r.ok ? undefined : r.error.message).toBe('not leading any more');
    expect(calls).toEqual([]);
  });
});
