import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { translate, type TranslateResult } from './translate.js';

function run(text: string): TranslateResult {
  return translate(
    parseAllDocuments(text).map((d, i) => ({ origin: `in.yaml#${i + 1}`, value: d.toJS() as unknown })),
  );
}
const messages = (r: TranslateResult): string[] =>
  r.diagnostics.map((d) => `${d.severity}: ${d.subject}: ${d.message}`);
const NO_BGP =
  "not translatable: ironlb imports BGP from MetalLB's BGPPeer, BGPAdvertisement, BFDProfile and Community objects, not from the legacy configuration";
const pair = (name: string, spec: object): object[] => [
  { apiVersion: 'ironlb.io/v1alpha1', kind: 'IPPool', metadata: { name }, spec },
  { apiVersion: 'ironlb.io/v1alpha1', kind: 'L2Announcement', metadata: { name }, spec: { ipPools: [name] } },
];

describe('AddressPool (deprecated CRD)', () => {
  it('layer2 becomes an IPPool and an L2Announcement for that pool', () => {
    const r = run(`
apiVersion: metallb.io/v1beta1
kind: AddressPool
metadata: { name: l2-pool, namespace: metallb-system }
spec:
  protocol: layer2
  addresses: [192.168.1.240-192.168.1.250]
  autoAssign: false
`);
    expect(r.objects.map((t) => t.object)).toEqual(
      pair('l2-pool', { addresses: ['192.168.1.240-192.168.1.250'], autoAssign: false }),
    );
    expect(r.objects[1]?.comments).toEqual([
      'From in.yaml#1 AddressPool metallb-system/l2-pool.',
      'Announces pool l2-pool from every node (MetalLB "protocol: layer2").',
    ]);
    expect(messages(r)).toEqual([
      'warning: in.yaml#1 AddressPool metallb-system/l2-pool: AddressPool is deprecated in MetalLB; ' +
        'translated as an IPPool and an L2Announcement',
    ]);
  });

  it('bgp is refused', () => {
    const r = run(`
apiVersion: metallb.io/v1beta1
kind: AddressPool
metadata: { name: bgp-pool, namespace: metallb-system }
spec: { protocol: bgp, addresses: [198.51.100.0/24], bgpAdvertisements: [{ localPref: 100 }] }
`);
    expect(r.objects).toEqual([]);
    const subject = 'in.yaml#1 AddressPool metallb-system/bgp-pool';
    expect(messages(r)).toEqual([
      `warning: ${subject}: AddressPool is deprecated in MetalLB; translated as an IPPool and an L2Announcement`,
      `error: ${subject}: spec.protocol bgp is ${NO_BGP}`,
      `warning: ${subject}: spec.bgpAdvertisements ignored: ${NO_BGP}`,
    ]);
  });
});

describe('legacy config ConfigMap (MetalLB < 0.13)', () => {
  it('translates layer2 pools one by one and refuses BGP parts', () => {
    const r = run(`
apiVersion: v1
kind: ConfigMap
metadata: { namespace: metallb-system, name: config }
data:
  config: |
    peers:
    - peer-address: 10.0.0.1
      peer-asn: 64501
      my-asn: 64500
    address-pools:
    - name: default
      protocol: layer2
      addresses:
      - 192.168.1.240 - 192.168.1.250
      auto-assign: true
      avoid-buggy-ips: true
    - name: bgp-pool
      protocol: bgp
      addresses: [198.51.100.0/24]
    - name: odd
      protocol: layer2
      addresses: [10.0.0.0/24]
      color: blue
`);
    expect(r.objects.map((t) => t.object)).toEqual([
      ...pair('default', {
        addresses: ['192.168.1.240-192.168.1.250'],
        autoAssign: true,
        avoidBuggyIPs: true,
      }),
      ...pair('odd', { addresses: ['10.0.0.0/24'] }),
    ]);
    const cm = 'in.yaml#1 ConfigMap metallb-system/config';
    expect(messages(r)).toEqual([
      `error: ${cm}: data.config.peers: ${NO_BGP}`,
      `error: ${cm} address-pool bgp-pool: data.config.address-pools[1].protocol bgp is ${NO_BGP}`,
      `warning: ${cm} address-pool odd: unknown field data.config.address-pools[2].color ignored`,
    ]);
  });

  it('reports a pool without a name or protocol', () => {
    const r = run(`
apiVersion: v1
kind: ConfigMap
metadata: { namespace: metallb-system, name: config }
data:
  config: |
    address-pools:
    - addresses: [10.0.0.0/24]
`);
    expect(r.objects).toEqual([]);
    expect(messages(r)).toEqual([
      'error: in.yaml#1 ConfigMap metallb-system/config address-pool #0: data.config.address-pools[0].name is missing',
      'error: in.yaml#1 ConfigMap metallb-system/config address-pool #0: ' +
        'data.config.address-pools[0].protocol must be layer2 or bgp, got null',
    ]);
  });

  it('skips other ConfigMaps', () => {
    const r = run(`{ apiVersion: v1, kind: ConfigMap, metadata: { name: x, namespace: y }, data: { a: b } }`);
    expect(r.objects).toEqual([]);
    expect(messages(r)).toEqual([
      'warning: in.yaml#1 ConfigMap y/x: skipped: a ConfigMap without MetalLB configuration in data.config',
    ]);
  });
});
