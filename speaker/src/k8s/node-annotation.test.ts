import { ApiException } from '@kubernetes/client-node';
import type { CoreV1Client } from '@ironlb/shared/kube';
import { describe, expect, it } from 'vitest';
import { patchNodeAnnotation } from './node-annotation.js';

const apiError = (code: number): ApiException<string> =>
  new ApiException(
    code,
    `HTTP-Code: ${code}`,
    JSON.stringify({ kind: 'Status', code, message: `m${code}` }),
    {},
  );

function fakeCore(error?: Error): { core: Pick<CoreV1Client, 'patchNode'>; calls: unknown[] } {
  const calls: unknown[] = [];
  const core = {
    patchNode: (args: unknown) => {
      calls.push(args);
      return error === undefined ? Promise.resolve({ metadata: { name: 'n1' } }) : Promise.reject(error);
    },
  } as unknown as Pick<CoreV1Client, 'patchNode'>;
  return { core, calls };
}

describe('patchNodeAnnotation', () => {
  it('merge-patches the annotations of the node', async () => {
    const { core, calls } = fakeCore();
    const r = await patchNodeAnnotation({
      core,
      node: 'n1',
      annotations: { 'ironlb.io/announcing': '192.0.2.1' },
    });
    expect(r).toEqual({ ok: true, value: null });
    expect(calls).toEqual([
      { name: 'n1', body: { metadata: { annotations: { 'ironlb.io/announcing': '192.0.2.1' } } } },
    ]);
  });

  it.each([
    [409, 'conflict'],
    [404, 'not-found'],
    [503, 'error'],
  ])('returns HTTP %i as the shared WriteFailure (%s)', async (code, kind) => {
    const { core } = fakeCore(apiError(code));
    const r = await patchNodeAnnotation({ core, node: 'n1', annotations: { a: null } });
    expect(r).toEqual({ ok: false, error: { kind, code, message: `HTTP ${code}: m${code}` } });
  });

  it('returns a network failure as an error without a code', async () => {
    const { core } = fakeCore(new TypeError('fetch failed'));
    const r = await patchNodeAnnotation({ core, node: 'n1', annotations: { a: null } });
    expect(r).toEqual({ ok: false, error: { kind: 'error', code: undefined, message: 'fetch failed' } });
  });
});
