import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { translate, type TranslateResult } from './translate.js';

/** Manifests after MetalLB's documented BGP examples (metallb.io/v1beta1 and v1beta2). */
function run(text: string): TranslateResult {
  return translate(
    parseAllDocuments(text).map((d, i) => ({ origin: `in.yaml#${i + 1}`, value: d.toJS() as unknown })),
  );
}
const objects = (r: TranslateResult): unknown[] => r.objects.map((t) => t.object);
const messages = (r: TranslateResult): string[] =>
  r.diagnostics.map((d) => `${d.severity}: ${d.subject}: ${d.message}`);
const out = (kind: string, name: string, spec: object): object => ({
  apiVersion: 'ironlb.io/v1alpha1',
  kind,
  metadata: { name },
  spec,
});

describe('BGPPeer', () => {
  it('v1beta2 becomes an ironlb BGPPeer with whole-second timers and one node selector', () => {
    const r = run(`
apiVersion: metallb.io/v1beta2
kind: BGPPeer
metadata: { name: sample, namespace: metallb-system }
spec:
  myASN: 64500
  peerASN: 64501
  peerAddress: 10.0.0.1
  sourceAddress: 10.0.0.2
  peerPort: 180
  holdTime: 1m30s
  keepaliveTime: 30s
  bfdProfile: full-bfd
  ebgpMultiHop: true
  nodeSelectors:
  - matchLabels: { kubernetes.io/hostname: node-a }
  - matchLabels: { kubernetes.io/hostname: node-b }
`);
    expect(objects(r)).toEqual([
      out('BGPPeer', 'sample', {
        myASN: 64500,
        peerASN: 64501,
        peerAddress: '10.0.0.1',
        peerPort: 180,
        sourceAddress: '10.0.0.2',
        holdTime: '90s',
        keepaliveTime: '30s',
        bfdProfile: 'full-bfd',
        nodeSelector: {
          matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: ['node-a', 'node-b'] }],
        },
        ebgpMultiHop: true,
      }),
    ]);
    expect(messages(r)).toEqual([
      'warning: in.yaml#1 BGPPeer metallb-system/sample: spec.nodeSelectors: 2 selectors merged into one "In" selector',
    ]);
  });

  it('v1beta1 (port 0 = unset, zero durations) translates the same way', () => {
    const r = run(`
apiVersion: metallb.io/v1beta1
kind: BGPPeer
metadata: { name: old, namespace: metallb-system }
spec: { myASN: 64500, peerASN: 64500, peerAddress: "2001:db8::1", peerPort: 0, holdTime: 0s, routerID: 10.10.10.10 }
`);
    expect(objects(r)).toEqual([
      out('BGPPeer', 'old', { myASN: 64500, peerASN: 64500, peerAddress: '2001:db8::1', holdTime: '0s' }),
    ]);
    expect(messages(r)).toEqual([
      'warning: in.yaml#1 BGPPeer metallb-system/old: spec.routerID dropped: ironlb chooses the router ID of each node itself',
    ]);
  });

  it('moves passwords to a Secret reference without writing the password out', () => {
    const r = run(`
apiVersion: metallb.io/v1beta2
kind: BGPPeer
metadata: { name: plain, namespace: metallb-system }
spec: { myASN: 64500, peerASN: 64501, peerAddress: 10.0.0.1, password: s3cret }
---
apiVersion: metallb.io/v1beta2
kind: BGPPeer
metadata: { name: ref, namespace: metallb-system }
spec: { myASN: 64500, peerASN: 64501, peerAddress: 10.0.0.3, passwordSecret: { name: bgp-auth, namespace: metallb-system } }
`);
    expect(objects(r)).toEqual([
      out('BGPPeer', 'plain', {
        myASN: 64500,
        peerASN: 64501,
        peerAddress: '10.0.0.1',
        passwordSecret: { name: 'plain-bgp-password', key: 'password' },
      }),
      out('BGPPeer', 'ref', {
        myASN: 64500,
        peerASN: 64501,
        peerAddress: '10.0.0.3',
        passwordSecret: { name: 'bgp-auth', key: 'password' },
      }),
    ]);
    expect(JSON.stringify(r)).not.toContain('s3cret');
    expect(messages(r)).toEqual([
      'warning: in.yaml#1 BGPPeer metallb-system/plain: spec.password is not written out: create Secret plain-bgp-password ' +
        `with key "password" in ironlb's namespace (kubectl create secret generic plain-bgp-password --from-literal=password=...); ` +
        'spec.passwordSecret refers to it',
      `warning: in.yaml#2 BGPPeer metallb-system/ref: spec.passwordSecret: ironlb reads Secret bgp-auth (key "password") ` +
        'from its own namespace; copy it there from metallb-system',
    ]);
  });

  it('refuses what ironlb cannot express, with every reason, and what ironlb would refuse', () => {
    const r = run(`
apiVersion: metallb.io/v1beta2
kind: BGPPeer
metadata: { name: odd, namespace: metallb-system }
spec: { myASN: 64500, dynamicASN: external, interface: eth1, vrf: red, dualStackAddressFamily: true, holdTime: 500us }
---
apiVersion: metallb.io/v1beta2
kind: BGPPeer
metadata: { name: bad, namespace: metallb-system }
spec: { myASN: 0, peerASN: 64501, peerAddress: 127.0.0.1, connectTime: 5s,
        nodeSelectors: [{ matchLabels: { a: x } }, { matchLabels: { b: y } }] }
`);
    expect(objects(r)).toEqual([]);
    expect(messages(r)).toEqual([
      'error: in.yaml#1 BGPPeer metallb-system/odd: spec.dynamicASN: not translatable: ironlb needs a fixed peerASN (no internal/external detection)',
      'error: in.yaml#1 BGPPeer metallb-system/odd: spec.interface: not translatable: ironlb has no unnumbered BGP sessions (it peers with an address)',
      'error: in.yaml#1 BGPPeer metallb-system/odd: spec.vrf: not translatable: ironlb peers in the default VRF only',
      'error: in.yaml#1 BGPPeer metallb-system/odd: spec.dualStackAddressFamily: not translatable: an ironlb session carries ' +
        'only the address family of its peer; add a BGPPeer for the other family',
      "error: in.yaml#1 BGPPeer metallb-system/odd: spec.holdTime: '500us' is not a duration like 100ms, 15s or 2m",
      'error: in.yaml#1 BGPPeer metallb-system/odd: ironlb would refuse it: spec.peerASN: Required value',
      'error: in.yaml#1 BGPPeer metallb-system/odd: ironlb would refuse it: spec.peerAddress: Required value',
      'warning: in.yaml#2 BGPPeer metallb-system/bad: spec.connectTime dropped: ironlb leaves the connect retry timer at FRR default',
      'error: in.yaml#2 BGPPeer metallb-system/bad: spec.nodeSelectors: 2 selectors are ORed and are not all equality tests ' +
        "on one label key; ironlb's nodeSelector is a single selector",
      'error: in.yaml#2 BGPPeer metallb-system/bad: ironlb would refuse it: spec.myASN: Invalid value: 0: spec.myASN in body ' +
        'should be greater than or equal to 1',
      "error: in.yaml#2 BGPPeer metallb-system/bad: ironlb would refuse it: spec.peerAddress: '127.0.0.1' is not a global " +
        'unicast address (unspecified, loopback, multicast, link-local and broadcast addresses cannot peer)',
    ]);
  });
});

describe('BGPAdvertisement and Community', () => {
  it('replaces Community aliases (defined before or after) by their values', () => {
    const r = run(`
apiVersion: metallb.io/v1beta1
kind: BGPAdvertisement
metadata: { name: local, namespace: metallb-system }
spec:
  ipAddressPools: [bgp-pool]
  aggregationLength: 32
  aggregationLengthV6: 128
  localPref: 50
  communities: [65535:65282, NO_ADVERTISE, large:01:2:3, "64512:0100"]
  peers: [sample]
---
apiVersion: metallb.io/v1beta1
kind: Community
metadata: { name: communities, namespace: metallb-system }
spec:
  communities:
  - { name: NO_ADVERTISE, value: "65535:65282" }
  - { name: VIP, value: "large:64512:1:1" }
`);
    expect(objects(r)).toEqual([
      out('BGPAdvertisement', 'local', {
        ipPools: ['bgp-pool'],
        peers: ['sample'],
        communities: ['65535:65282', 'large:1:2:3', '64512:100'],
        localPref: 50,
        aggregationLength: 32,
        aggregationLengthV6: 128,
      }),
    ]);
    expect(messages(r)).toEqual([
      'warning: in.yaml#2 Community metallb-system/communities: not written: ironlb has no Community kind; ' +
        'NO_ADVERTISE, VIP replaced by their values in the BGPAdvertisements that use them',
    ]);
  });

  it('an unknown alias or a bad attribute refuses the advertisement; a bad or conflicting alias is an error', () => {
    const r = run(`
apiVersion: metallb.io/v1beta1
kind: Community
metadata: { name: a }
spec: { communities: [{ name: X, value: "1:1" }, { name: BAD, value: "70000:1" }] }
---
apiVersion: metallb.io/v1beta1
kind: Community
metadata: { name: b }
spec: { communities: [{ name: X, value: "2:2" }] }
---
apiVersion: metallb.io/v1beta1
kind: BGPAdvertisement
metadata: { name: adv }
spec: { communities: [X, BAD], aggregationLength: 40 }
`);
    expect(objects(r)).toEqual([]);
    expect(messages(r)).toEqual([
      "error: in.yaml#1 Community a: spec.communities[1].value: '70000:1' is not a BGP community value (AA:NN or large:A:B:C)",
      'warning: in.yaml#1 Community a: not written: ironlb has no Community kind; X replaced by their values in the BGPAdvertisements that use them',
      'error: in.yaml#2 Community b: spec.communities[0]: alias X is already 1:1 (from in.yaml#1)',
      "error: in.yaml#3 BGPAdvertisement adv: spec.communities[1]: 'BAD' is neither a community value nor an alias of a Community in the input",
      'error: in.yaml#3 BGPAdvertisement adv: ironlb would refuse it: spec.aggregationLength: Invalid value: 40: ' +
        'spec.aggregationLength in body should be less than or equal to 32',
    ]);
  });

  it('splits ORed selector lists into advertisements with the same attributes; no pools = every pool', () => {
    const r = run(`
apiVersion: metallb.io/v1beta1
kind: BGPAdvertisement
metadata: { name: split }
spec:
  nodeSelectors: [{ matchLabels: { a: "1" } }, { matchLabels: { b: "2" } }]
  localPref: 10
`);
    expect(objects(r)).toEqual([
      out('BGPAdvertisement', 'split-1', { nodeSelector: { matchLabels: { a: '1' } }, localPref: 10 }),
      out('BGPAdvertisement', 'split-2', { nodeSelector: { matchLabels: { b: '2' } }, localPref: 10 }),
    ]);
    expect(r.objects[0]?.comments[1]).toContain('Advertises ALL IPPools');
    expect(messages(r)).toEqual([
      'warning: in.yaml#1 BGPAdvertisement split: split into 2 BGPAdvertisements (MetalLB ORs its pool and node selector lists)',
    ]);
  });
});

describe('BFDProfile', () => {
  it('keeps every field; out-of-range values are refused in the API server words', () => {
    const r = run(`
apiVersion: metallb.io/v1beta1
kind: BFDProfile
metadata: { name: full-bfd, namespace: metallb-system }
spec: { receiveInterval: 380, transmitInterval: 270, detectMultiplier: 37, echoMode: true, echoInterval: 62, passiveMode: true, minimumTtl: 254 }
---
apiVersion: metallb.io/v1beta1
kind: BFDProfile
metadata: { name: slow }
spec: { receiveInterval: 70000 }
`);
    expect(objects(r)).toEqual([
      out('BFDProfile', 'full-bfd', {
        receiveInterval: 380,
        transmitInterval: 270,
        detectMultiplier: 37,
        echoInterval: 62,
        minimumTtl: 254,
        echoMode: true,
        passiveMode: true,
      }),
    ]);
    expect(messages(r)).toEqual([
      'error: in.yaml#2 BFDProfile slow: ironlb would refuse it: spec.receiveInterval: Invalid value: 70000: ' +
        'spec.receiveInterval in body should be less than or equal to 60000',
    ]);
  });
});
