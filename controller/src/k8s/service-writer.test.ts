import { ApiException, type V1Service } from '@kubernetes/client-node';
import { type CoreV1Client, limit } from '@ironlb/shared/kube';
import { describe, expect, it } from 'vitest';
import { type ServiceWriterDeps, writeAnnotation, writeIngress } from './service-writer.js';

type Core = ServiceWriterDeps['core'];
type Call = { method: string; args: unknown };

const apiError = (code: number): ApiException<string> =>
  new ApiException(
    code,
    `HTTP-Code: ${code}`,
    JSON.stringify({ kind: 'Status', code, message: `m${code}` }),
    {},
  );
const refused = (): Error =>
  new TypeError('fetch failed', {
    cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
  });

/** A CoreV1Client stand-in: records calls; `fail` decides what the next call throws (undefined: succeed). */
function fakeCore(fail: () => unknown): { core: Core; calls: Call[] } {
  const calls: Call[] = [];
  const answer = (method: string, args: unknown): Promise<V1Service> => {
    calls.push({ method, args });
    const error = fail();
    if (error !== undefined) return Promise.reject(error instanceof Error ? error : new Error('bad fake'));
    return Promise.resolve({ metadata: { name: 'web', namespace: 'shop', resourceVersion: '43' } });
  };
  const core = {
    patchNamespacedServiceStatus: (args: unknown) => answer('status', args),
    patchNamespacedService: (args: unknown) => answer('service', args),
  } as unknown as Pick<CoreV1Client, 'patchNamespacedServiceStatus' | 'patchNamespacedService'>;
  return { core, calls };
}

const target = { namespace: 'shop', name: 'web', resourceVersion: '42' };
const deps = (core: Core, signal = new AbortController().signal): ServiceWriterDeps => ({
  core,
  limiter: limit(2),
  signal,
});

const cases: [string, () => unknown, { kind: string; code: number | undefined }][] = [
  ['409', () => apiError(409), { kind: 'conflict', code: 409 }],
  ['404', () => apiError(404), { kind: 'not-found', code: 404 }],
  ['5xx', () => apiError(500), { kind: 'error', code: 500 }],
  ['network error', refused, { kind: 'error', code: undefined }],
];

describe('writeIngress', () => {
  it('patches status.loadBalancer.ingress with ipMode VIP under the resourceVersion precondition', async () => {
    const { core, calls } = fakeCore(() => undefined);
    const r = await writeIngress(deps(core), { ...target, ips: ['192.0.2.10'] });
    expect(r.ok && r.value.metadata?.resourceVersion).toBe('43');
    expect(calls).toEqual([
      {
        method: 'status',
        args: {
          namespace: 'shop',
          name: 'web',
          body: {
            metadata: { resourceVersion: '42' },
            status: { loadBalancer: { ingress: [{ ip: '192.0.2.10', ipMode: 'VIP' }] } },
          },
        },
      },
    ]);
  });

  it.each(cases)('returns %s as a WriteFailure', async (_name, fail, expected) => {
    const { core } = fakeCore(fail);
    const r = await writeIngress(deps(core), { ...target, ips: [] });
    expect(r.ok ? undefined : { kind: r.error.kind, code: r.error.code }).toEqual(expected);
  });

  it('writes nothing once leadership ended', async () => {
    const { core, calls } = fakeCore(() => undefined);
    const aborted = AbortSignal.abort();
    const r = await writeIngress(deps(core, aborted), { ...target, ips: [] });
    expect(r.ok ? undefined : r.error.kind).toBe('error');
    expect(calls).toEqual([]);
  });
});

describe('writeAnnotation', () => {
  it('merge-patches one annotation (null removes it) and returns the new resourceVersion', async () => {
    const { core, calls } = fakeCore(() => undefined);
    const r = await writeAnnotation(deps(core), {
      ...target,
      resourceVersion: undefined,
      annotation: 'ironlb.io/allocated-from-pool',
      value: null,
    });
    expect(r).toEqual({ ok: true, value: '43' });
    expect(calls).toEqual([
      {
        method: 'service',
        args: {
          namespace: 'shop',
          name: 'web',
          body: { metadata: { annotations: { 'ironlb.io/allocated-from-pool': null } } },
        },
      },
    ]);
  });

  it.each(cases)('returns %s as the same WriteFailure as status writes', async (_name, fail, expected) => {
    const { core } = fakeCore(fail);
    const r = await writeAnnotation(deps(core), { ...target, annotation: 'a', value: 'p' });
    expect(r.ok ? undefined : { kind: r.error.kind, code: r.error.code }).toEqual(expected);
    expect(r.ok || r.error.message.length > 0).toBe(true);
  });

  it('writes nothing once leadership ended', async () => {
    const { core, calls } = fakeCore(() => undefined);
    const r = await writeAnnotation(deps(core, AbortSignal.abort()), {
      ...target,
      annotation: 'a',
      value: 'p',
    });
    expect(r.ok ? undefined : r.error).toEqual({
      kind: 'error',
      code: undefined,
      message: 'not leading any more',
    });
    expect(calls).toEqual([]);
  });
});
