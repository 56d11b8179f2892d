import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { translate, type TranslateResult } from './translate.js';

/** Manifests are written after MetalLB's documented examples (metallb.universe.tf configuration). */
function run(text: string): TranslateResult {
  return translate(
    parseAllDocuments(text).map((d, i) => ({ origin: `in.yaml#${i + 1}`, value: d.toJS() as unknown })),
  );
}
const objects = (r: TranslateResult): unknown[] => r.objects.map((t) => t.object);
const messages = (r: TranslateResult): string[] =>
  r.diagnostics.map((d) => `${d.severity}: ${d.subject}: ${d.message}`);
const pool = (name: string, spec: object, labels?: object): object => ({
  apiVersion: 'ironlb.io/v1alpha1',
  kind: 'IPPool',
  metadata: labels === undefined ? { name } : { name, labels },
  spec,
});
const l2 = (name: string, spec: object): object => ({
  apiVersion: 'ironlb.io/v1alpha1',
  kind: 'L2Announcement',
  metadata: { name },
  spec,
});

describe('IPAddressPool', () => {
  it('becomes a cluster-scoped IPPool with normalised addresses and kept labels', () => {
    const r = run(`
apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata:
  name: first-pool
  namespace: metallb-system
  labels: { zone: east }
  uid: 5b1f
  resourceVersion: "812"
spec:
  addresses:
  - 192.168.10.0/24
  - 192.168.9.1 - 192.168.9.5
  - fc00:f853:0ccd:e799::/124
  autoAssign: false
  avoidBuggyIPs: true
`);
    expect(objects(r)).toEqual([
      pool(
        'first-pool',
        {
          addresses: ['192.168.10.0/24', '192.168.9.1-192.168.9.5', 'fc00:f853:0ccd:e799::/124'],
          autoAssign: false,
          avoidBuggyIPs: true,
        },
        { zone: 'east' },
      ),
    ]);
    expect(r.objects[0]?.comments).toEqual(['From in.yaml#1 IPAddressPool metallb-system/first-pool.']);
    expect(messages(r)).toEqual([]);
  });

  it('translates serviceAllocation with one selector each', () => {
    const r = run(`
apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: { name: ns-pool, namespace: metallb-system }
spec:
  addresses: [192.168.20.0/24]
  serviceAllocation:
    priority: 50
    namespaces: [namespace-a, namespace-b]
    namespaceSelectors:
    - matchLabels: { foo: bar }
    serviceSelectors:
    - matchExpressions:
      - { key: app, operator: In, values: [bar] }
`);
    expect(objects(r)).toEqual([
      pool('ns-pool', {
        addresses: ['192.168.20.0/24'],
        serviceAllocation: {
          priority: 50,
          namespaces: ['namespace-a', 'namespace-b'],
          namespaceSelector: { matchLabels: { foo: 'bar' } },
          serviceSelector: { matchExpressions: [{ key: 'app', operator: 'In', values: ['bar'] }] },
        },
      }),
    ]);
    expect(messages(r)).toEqual([]);
  });

  it('merges ORed selectors on one key into an In selector, with a warning', () => {
    const r = run(`
apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: { name: teams, namespace: metallb-system }
spec:
  addresses: [10.0.0.0/28]
  serviceAllocation:
    namespaceSelectors:
    - matchLabels: { team: a }
    - matchLabels: { team: b }
`);
    expect(objects(r)).toEqual([
      pool('teams', {
        addresses: ['10.0.0.0/28'],
        serviceAllocation: {
          namespaceSelector: { matchExpressions: [{ key: 'team', operator: 'In', values: ['a', 'b'] }] },
        },
      }),
    ]);
    expect(messages(r)).toEqual([
      'warning: in.yaml#1 IPAddressPool metallb-system/teams: spec.serviceAllocation.namespaceSelectors: ' +
        '2 selectors merged into one "In" selector',
    ]);
  });

  it.each([
    ['namespaceSelectors', 'serviceAllocation.namespaceSelector'],
    ['serviceSelectors', 'serviceAllocation.serviceSelector'],
  ])('refuses the pool when %s cannot be one selector', (field, target) => {
    const r = run(`
apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: { name: mixed, namespace: metallb-system }
spec:
  addresses: [10.0.0.0/28]
  serviceAllocation:
    ${field}:
    - matchLabels: { team: a }
    - matchLabels: { env: prod }
`);
    expect(objects(r)).toEqual([]);
    expect(messages(r)).toEqual([
      `error: in.yaml#1 IPAddressPool metallb-system/mixed: spec.serviceAllocation.${field}: 2 selectors are ` +
        `ORed and are not all equality tests on one label key; ironlb's ${target} is a single selector`,
    ]);
  });

  it('warns about unknown fields by name and still translates', () => {
    const r = run(`
apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata:
  name: p
  namespace: metallb-system
  annotations: { kubectl.kubernetes.io/last-applied-configuration: "{}" }
spec:
  addresses: [10.0.0.1]
  allocateTo: { priority: 1 }
  serviceAllocation: { priority: 2, futureField: true }
`);
    expect(objects(r)).toEqual([pool('p', { addresses: ['10.0.0.1'], serviceAllocation: { priority: 2 } })]);
    expect(messages(r)).toEqual([
      'warning: in.yaml#1 IPAddressPool metallb-system/p: metadata fields dropped: annotations',
      'warning: in.yaml#1 IPAddressPool metallb-system/p: unknown field spec.allocateTo ignored',
      'warning: in.yaml#1 IPAddressPool metallb-system/p: unknown field spec.serviceAllocation.futureField ignored',
    ]);
  });

  it.each([
    ['addresses: []', 'spec.addresses is missing or empty'],
    ['autoAssign: true', 'spec.addresses is missing or empty'],
    [
      'addresses: [10.0.0.0/24, 10.0.0.0/33]',
      'spec.addresses[1]: prefix length 33 is out of range for IPv4 (0-32)',
    ],
    ['addresses: 10.0.0.0/24', 'spec.addresses must be a list of strings'],
    ['{ addresses: [10.0.0.1], autoAssign: "no" }', 'spec.autoAssign must be true or false'],
    [
      '{ addresses: [10.0.0.1], serviceAllocation: { priority: 1.5 } }',
      'spec.serviceAllocation.priority must be an integer',
    ],
    [
      '{ addresses: [10.0.0.1], serviceAllocation: { serviceSelectors: [{ matchExpressions: [{ key: a, operator: Like }] }] } }',
      'spec.serviceAllocation.serviceSelectors[0].matchExpressions[0].operator must be one of In, NotIn, Exists, DoesNotExist',
    ],
  ])('refuses a pool with spec %s', (spec, message) => {
    const r = run(
      `{ apiVersion: metallb.io/v1beta1, kind: IPAddressPool, metadata: { name: bad }, spec: ${spec} }`,
    );
    expect(objects(r)).toEqual([]);
    expect(messages(r)).toEqual([`error: in.yaml#1 IPAddressPool bad: ${message}`]);
  });

  it('refuses a second pool with the same name from another namespace', () => {
    const r = run(`
{ apiVersion: metallb.io/v1beta1, kind: IPAddressPool, metadata: { name: p, namespace: a }, spec: { addresses: [10.0.0.1] } }
---
{ apiVersion: metallb.io/v1beta1, kind: IPAddressPool, metadata: { name: p, namespace: b }, spec: { addresses: [10.0.0.2] } }
`);
    expect(objects(r)).toEqual([pool('p', { addresses: ['10.0.0.1'] })]);
    expect(messages(r)).toEqual([
      'error: in.yaml#2 IPAddressPool b/p: IPPool/p already comes from an earlier object (ironlb objects are cluster-scoped)',
    ]);
  });
});

describe('L2Advertisement', () => {
  it('without pools or selectors selects all pools, and says so', () => {
    const r = run(`
apiVersion: metallb.io/v1beta1
kind: L2Advertisement
metadata: { name: example, namespace: metallb-system }
`);
    expect(objects(r)).toEqual([l2('example', {})]);
    expect(r.objects[0]?.comments).toEqual([
      'From in.yaml#1 L2Advertisement metallb-system/example.',
      'Selects ALL IPPools: an L2Announcement with neither ipPools nor ipPoolSelector matches every pool,',
      'as a MetalLB L2Advertisement without ipAddressPools and ipAddressPoolSelectors does.',
    ]);
    expect(messages(r)).toEqual([]);
  });

  it('maps pools, one node selector and interfaces one to one', () => {
    const r = run(`
apiVersion: metallb.io/v1beta1
kind: L2Advertisement
metadata: { name: example, namespace: metallb-system }
spec:
  ipAddressPools: [first-pool]
  nodeSelectors:
  - matchLabels: { kubernetes.io/hostname: NodeA }
  interfaces: [eth0, eth1]
`);
    expect(objects(r)).toEqual([
      l2('example', {
        ipPools: ['first-pool'],
        nodeSelector: { matchLabels: { 'kubernetes.io/hostname': 'NodeA' } },
        interfaces: ['eth0', 'eth1'],
      }),
    ]);
    expect(messages(r)).toEqual([]);
  });

  it('maps one pool selector, and merges node selectors on one key', () => {
    const r = run(`
apiVersion: metallb.io/v1beta1
kind: L2Advertisement
metadata: { name: l2adv, namespace: metallb-system }
spec:
  ipAddressPoolSelectors:
  - matchExpressions: [{ key: pool, operator: In, values: [first] }]
  nodeSelectors:
  - matchLabels: { kubernetes.io/hostname: NodeA }
  - matchLabels: { kubernetes.io/hostname: NodeB }
`);
    expect(objects(r)).toEqual([
      l2('l2adv', {
        ipPoolSelector: { matchExpressions: [{ key: 'pool', operator: 'In', values: ['first'] }] },
        nodeSelector: {
          matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: ['NodeA', 'NodeB'] }],
        },
      }),
    ]);
    expect(messages(r)).toEqual([]);
  });

  it('splits ORed lists that cannot merge into one announcement per pool target and node selector', () => {
    const r = run(`
apiVersion: metallb.io/v1beta1
kind: L2Advertisement
metadata: { name: split, namespace: metallb-system }
spec:
  ipAddressPools: [first-pool]
  ipAddressPoolSelectors:
  - matchLabels: { tier: cheap }
  nodeSelectors:
  - matchLabels: { kubernetes.io/hostname: NodeA }
  - matchLabels: { zone: b }
`);
    const hostA = { matchLabels: { 'kubernetes.io/hostname': 'NodeA' } };
    const zoneB = { matchLabels: { zone: 'b' } };
    const cheap = { matchLabels: { tier: 'cheap' } };
    expect(objects(r)).toEqual([
      l2('split-1', { ipPools: ['first-pool'], nodeSelector: hostA }),
      l2('split-2', { ipPools: ['first-pool'], nodeSelector: zoneB }),
      l2('split-3', { ipPoolSelector: cheap, nodeSelector: hostA }),
      l2('split-4', { ipPoolSelector: cheap, nodeSelector: zoneB }),
    ]);
    expect(messages(r)).toEqual([
      'warning: in.yaml#1 L2Advertisement metallb-system/split: split into 4 L2Announcements ' +
        '(MetalLB ORs its pool and node selector lists)',
    ]);
  });

  it('warns about an unknown field and refuses a malformed one', () => {
    const warned = run(
      `{ apiVersion: metallb.io/v1beta1, kind: L2Advertisement, metadata: { name: a }, spec: { foo: 1 } }`,
    );
    expect(objects(warned)).toEqual([l2('a', {})]);
    expect(messages(warned)).toEqual([
      'warning: in.yaml#1 L2Advertisement a: unknown field spec.foo ignored',
    ]);
    const refused = run(
      `{ apiVersion: metallb.io/v1beta1, kind: L2Advertisement, metadata: { name: a }, spec: { interfaces: eth0 } }`,
    );
    expect(objects(refused)).toEqual([]);
    expect(messages(refused)).toEqual([
      'error: in.yaml#1 L2Advertisement a: spec.interfaces must be a list of strings',
    ]);
  });
});

describe('kinds ironlb cannot express', () => {
  it.each([
    [
      'metallb.io/v1beta1',
      'ServiceL2Status',
      'not translatable: a MetalLB status object, written by MetalLB itself',
    ],
    ['metallb.io/v1beta1', 'FancyPool', 'not translatable: unknown MetalLB kind FancyPool'],
  ])('%s %s is an error', (apiVersion, kind, message) => {
    const r = run(
      `{ apiVersion: ${apiVersion}, kind: ${kind}, metadata: { name: x, namespace: metallb-system }, spec: {} }`,
    );
    expect(objects(r)).toEqual([]);
    expect(messages(r)).toEqual([`error: in.yaml#1 ${kind} metallb-system/x: ${message}`]);
  });

  it('skips non-MetalLB objects with a warning and refuses non-objects', () => {
    const r = run(`
{ apiVersion: v1, kind: Namespace, metadata: { name: metallb-system } }
---
just a string
---
`);
    expect(objects(r)).toEqual([]);
    expect(messages(r)).toEqual([
      'warning: in.yaml#1 Namespace metallb-system: skipped: not a MetalLB configuration object',
      'error: in.yaml#2: not a Kubernetes object (needs apiVersion and kind)',
    ]);
  });

  it('expands kind: List from kubectl get -o yaml', () => {
    const r = run(`
apiVersion: v1
kind: List
items:
- { apiVersion: metallb.io/v1beta1, kind: IPAddressPool, metadata: { name: p, namespace: m }, spec: { addresses: [10.1.0.0/16] } }
- { apiVersion: metallb.io/v1beta1, kind: L2Advertisement, metadata: { name: l, namespace: m }, spec: { ipAddressPools: [p] } }
`);
    expect(objects(r)).toEqual([pool('p', { addresses: ['10.1.0.0/16'] }), l2('l', { ipPools: ['p'] })]);
    expect(r.objects.map((t) => t.comments[0])).toEqual([
      'From in.yaml#1.items[0] IPAddressPool m/p.',
      'From in.yaml#1.items[1] L2Advertisement m/l.',
    ]);
  });
});
