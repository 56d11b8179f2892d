import type { V1Service } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { type AllocationRequest, Allocator } from '../allocation/index.js';
import type { L2Object, PoolObject } from '../k8s/informers.js';
import { PoolConfigs } from './pool-configs.js';
import { reclaim } from './reclaim.js';
import { requestOf } from './service-view.js';

const VALID = { addresses: ['198.51.100.0/29'] };
/** Stored under an older, looser schema: the parser rejects it. */
const INVALID = { addresses: ['198.51.100.0/29', '198.51.100.300'] };

function poolObject(status?: Record<string, unknown>): PoolObject {
  return {
    apiVersion: 'ironlb.io/v1alpha1',
    kind: 'IPPool',
    metadata: { name: 'p', uid: 'pool-uid', creationTimestamp: '2026-01-01T00:00:00Z' },
    spec: INVALID,
    ...(status === undefined ? {} : { status }),
  } as PoolObject;
}

function svc(name: string, ip: string): V1Service {
  return {
    metadata: { name, namespace: 'ns', creationTimestamp: new Date('2026-01-02T00:00:00Z') },
    spec: { type: 'LoadBalancer', ports: [{ port: 80, protocol: 'TCP' }] },
    status: { loadBalancer: { ingress: [{ ip }] } },
  };
}

function requestFor(s: V1Service): AllocationRequest | undefined {
  const r = requestOf(s, { loadBalancerClass: undefined, namespaceLabels: {} });
  return r.kind === 'request' ? r.request : undefined;
}

const services = [svc('a', '198.51.100.1'), svc('b', '198.51.100.2'), svc('c', '198.51.100.3')];

/** What a session does at start: pools first, then reclaim from Service status. */
function startSession(pools: PoolObject[]): ReturnType<typeof reclaim> {
  const allocator = new Allocator();
  allocator.setPools(new PoolConfigs().update(pools).configs);
  return reclaim({ allocator, services, requestFor });
}

describe('PoolConfigs at session start', () => {
  it('an invalid pool whose status carries the last valid spec keeps every assignment', () => {
    const r = startSession([poolObject({ lastValidSpec: VALID, lastValidGeneration: 1 })]);
    expect(r.lost.size).toBe(0);
    expect(r.kept).toBe(3);
  });

  it('without the persisted spec the same pool is not used and every Service would lose its IP', () => {
    const r = startSession([poolObject()]);
    expect(r.kept).toBe(0);
    expect([...r.lost.keys()].sort()).toEqual(['ns/a', 'ns/b', 'ns/c']);
  });

  it('entries say the spec is invalid and which version is in use; the config set is unchanged', () => {
    const configs = new PoolConfigs();
    const first = configs.update([poolObject({ lastValidSpec: VALID, lastValidGeneration: 1 })]);
    expect(first.changed).toBe(true);
    expect(first.entries[0]).toMatchObject({ source: 'persisted', inUse: { generation: 1, spec: VALID } });
    expect(first.entries[0]?.errors.join()).toContain('198.51.100.300');
    expect(configs.update([poolObject({ lastValidSpec: VALID })]).changed).toBe(false);
  });
});

describe('PoolConfigs.announcements', () => {
  it('keeps the last valid version of an L2Announcement whose spec turns invalid (as the speaker does)', () => {
    const configs = new PoolConfigs();
    const l2 = (spec: L2Object['spec']): L2Object => ({
      apiVersion: 'ironlb.io/v1alpha1',
      kind: 'L2Announcement',
      metadata: { name: 'l2', uid: 'l2-uid' },
      spec,
    });
    expect(configs.announcements([l2({ ipPools: ['p'] })]).announcements.map((a) => a.ipPools)).toEqual([
      ['p'],
    ]);
    const invalid = configs.announcements([l2({ ipPools: ['p'], interfaces: ['a/b'] })]);
    expect(invalid.announcements.map((a) => a.ipPools)).toEqual([['p']]);
    expect(invalid.changed).toBe(false);
    expect(configs.announcements([])).toEqual({ announcements: [], changed: true });
  });

  it('says changed only when the announcements in use differ from the last call', () => {
    const configs = new PoolConfigs();
    const l2 = (resourceVersion: string, ipPools: string[]): L2Object => ({
      apiVersion: 'ironlb.io/v1alpha1',
      kind: 'L2Announcement',
      metadata: { name: 'l2', uid: 'l2-uid', resourceVersion },
      spec: { ipPools },
    });
    expect(configs.announcements([l2('1', ['p'])]).changed).toBe(true);
    expect(configs.announcements([l2('2', ['p'])]).changed).toBe(false);
    expect(configs.announcements([l2('3', ['p', 'q'])]).changed).toBe(true);
  });
});
