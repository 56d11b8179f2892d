/**
 * Invalid BGPPeer, BGPAdvertisement and BFDProfile manifests, each rejected with its own message by BOTH the
 * API server (OpenAPI schema + CEL rules in charts/ironlb/crds/ironlb.io_{bgppeers,bgpadvertisements,
 * bfdprofiles}.yaml) and the parser of its kind. `expected` is a substring of the error in both. Cases with
 * `fieldValidation: 'Strict'` must be sent with `?fieldValidation=Strict` (kubectl's default), otherwise the
 * API server silently prunes the unknown field.
 */
export type BgpKind = 'BGPPeer' | 'BGPAdvertisement' | 'BFDProfile';

export interface InvalidBgpCase {
  readonly name: string;
  readonly kind: BgpKind;
  readonly manifest: Readonly<Record<string, unknown>>;
  readonly expected: string;
  readonly fieldValidation?: 'Strict';
}

export const BGP_PLURALS: Readonly<Record<BgpKind, string>> = {
  BGPPeer: 'bgppeers',
  BGPAdvertisement: 'bgpadvertisements',
  BFDProfile: 'bfdprofiles',
};

function object(kind: BgpKind, name: string, spec: Record<string, unknown>): Record<string, unknown> {
  return { apiVersion: 'ironlb.io/v1alpha1', kind, metadata: { name }, spec };
}

/** A valid peer spec; cases change one thing. */
export const basePeerSpec: Readonly<Record<string, unknown>> = {
  myASN: 64512,
  peerASN: 64513,
  peerAddress: '192.0.2.254',
};

function peer(name: string, changes: Record<string, unknown>, expected: string): InvalidBgpCase {
  return {
    name,
    kind: 'BGPPeer',
    manifest: object('BGPPeer', name, { ...basePeerSpec, ...changes }),
    expected,
  };
}

function adv(name: string, spec: Record<string, unknown>, expected: string): InvalidBgpCase {
  return { name, kind: 'BGPAdvertisement', manifest: object('BGPAdvertisement', name, spec), expected };
}

function bfd(name: string, spec: Record<string, unknown>, expected: string): InvalidBgpCase {
  return { name, kind: 'BFDProfile', manifest: object('BFDProfile', name, spec), expected };
}

const communityWords =
  'is not a BGP community (AA:NN with numbers 0-65535, large:A:B:C with numbers 0-4294967295, or a well-known name such as no-export)';

export const invalidBgpObjects: readonly InvalidBgpCase[] = [
  // BGPPeer
  peer(
    'peer-address-bad',
    { peerAddress: '192.0.2.300' },
    "'192.0.2.300' is not a valid IPv4 or IPv6 address",
  ),
  peer(
    'peer-address-hostname',
    { peerAddress: 'router.example' },
    "'router.example' is not a valid IPv4 or IPv6 address",
  ),
  peer(
    'peer-address-loopback',
    { peerAddress: '127.0.0.1' },
    "'127.0.0.1' is not a global unicast address (unspecified, loopback, multicast, link-local and broadcast addresses cannot peer)",
  ),
  peer('peer-address-link-local-v6', { peerAddress: 'fe80::1' }, "'fe80::1' is not a global unicast address"),
  peer(
    'peer-source-family',
    { peerAddress: '2001:db8:ffff::1', sourceAddress: '192.0.2.1' },
    'sourceAddress must be of the same IP family as peerAddress',
  ),
  {
    name: 'peer-address-missing',
    kind: 'BGPPeer',
    manifest: object('BGPPeer', 'peer-address-missing', { myASN: 64512, peerASN: 64513 }),
    expected: 'spec.peerAddress: Required value',
  },
  peer(
    'peer-asn-zero',
    { peerASN: 0 },
    'spec.peerASN: Invalid value: 0: spec.peerASN in body should be greater than or equal to 1',
  ),
  peer(
    'peer-my-asn-too-big',
    { myASN: 4294967296 },
    'spec.myASN: Invalid value: 4294967296: spec.myASN in body should be less than or equal to 4294967295',
  ),
  peer(
    'peer-port-too-big',
    { peerPort: 70000 },
    'spec.peerPort in body should be less than or equal to 65535',
  ),
  peer(
    'peer-hold-time-syntax',
    { holdTime: '90' },
    "'90' is not a duration in whole seconds like 90s, 3m or 1m30s",
  ),
  peer(
    'peer-hold-time-fraction',
    { holdTime: '1.5s' },
    "'1.5s' is not a duration in whole seconds like 90s, 3m or 1m30s",
  ),
  peer(
    'peer-hold-time-range',
    { holdTime: '2s' },
    'holdTime must be 0s (no keepalives) or between 3s and 65535s',
  ),
  peer(
    'peer-keepalive-zero',
    { holdTime: '9s', keepaliveTime: '0s' },
    'keepaliveTime must be between 1s and 65535s',
  ),
  peer(
    'peer-keepalive-alone',
    { keepaliveTime: '30s' },
    'keepaliveTime needs holdTime (BGP timers are set together)',
  ),
  peer(
    'peer-keepalive-longer',
    { holdTime: '1m', keepaliveTime: '1m30s' },
    'keepaliveTime must be shorter than holdTime',
  ),
  peer(
    'peer-secret-name',
    { passwordSecret: { name: 'BGP_Password' } },
    "'BGP_Password' is not a valid Secret name (DNS subdomain)",
  ),
  peer(
    'peer-secret-no-name',
    { passwordSecret: { key: 'password' } },
    'spec.passwordSecret.name: Required value',
  ),
  peer(
    'peer-secret-key',
    { passwordSecret: { name: 'bgp', key: 'pass word' } },
    "'pass word' is not a valid Secret key (letters, digits, '-', '_' or '.')",
  ),
  peer(
    'peer-bfd-profile-name',
    { bfdProfile: 'Fast BFD' },
    "'Fast BFD' is not a valid BFDProfile name (DNS subdomain)",
  ),
  peer('peer-multihop-string', { ebgpMultiHop: 'yes' }, 'spec.ebgpMultiHop in body must be of type boolean'),
  peer(
    'peer-node-selector',
    { nodeSelector: { matchExpressions: [{ key: 'rack', operator: 'In' }] } },
    'values must be non-empty when operator is In or NotIn',
  ),
  {
    ...peer('peer-unknown-field', { password: 'secret' }, 'unknown field "spec.password"'),
    fieldValidation: 'Strict',
  },
  // BGPAdvertisement
  adv('adv-community-range', { communities: ['65536:1'] }, `'65536:1' ${communityWords}`),
  adv('adv-community-leading-zero', { communities: ['65000:0100'] }, `'65000:0100' ${communityWords}`),
  adv(
    'adv-community-large-range',
    { communities: ['large:4294967296:1:1'] },
    `'large:4294967296:1:1' ${communityWords}`,
  ),
  adv('adv-community-alias', { communities: ['NO_ADVERTISE'] }, `'NO_ADVERTISE' ${communityWords}`),
  adv(
    'adv-community-duplicate',
    { communities: ['65000:1', '65000:1'] },
    'spec.communities[1]: Duplicate value: "65000:1"',
  ),
  adv(
    'adv-local-pref-negative',
    { localPref: -1 },
    'spec.localPref in body should be greater than or equal to 0',
  ),
  adv(
    'adv-aggregation-v4',
    { aggregationLength: 33 },
    'spec.aggregationLength in body should be less than or equal to 32',
  ),
  adv(
    'adv-aggregation-v6',
    { aggregationLengthV6: 0 },
    'spec.aggregationLengthV6 in body should be greater than or equal to 1',
  ),
  adv('adv-peer-name', { peers: ['Router 1'] }, "'Router 1' is not a valid BGPPeer name (DNS subdomain)"),
  adv('adv-pool-name', { ipPools: ['pool_a'] }, "'pool_a' is not a valid IPPool name (DNS subdomain)"),
  // BFDProfile
  bfd(
    'bfd-receive-too-fast',
    { receiveInterval: 5 },
    'spec.receiveInterval in body should be greater than or equal to 10',
  ),
  bfd(
    'bfd-transmit-too-slow',
    { transmitInterval: 60001 },
    'spec.transmitInterval in body should be less than or equal to 60000',
  ),
  bfd(
    'bfd-multiplier-one',
    { detectMultiplier: 1 },
    'spec.detectMultiplier in body should be greater than or equal to 2',
  ),
  bfd(
    'bfd-echo-interval',
    { echoInterval: 9 },
    'spec.echoInterval in body should be greater than or equal to 10',
  ),
  bfd('bfd-minimum-ttl', { minimumTtl: 255 }, 'spec.minimumTtl in body should be less than or equal to 254'),
  bfd('bfd-echo-mode-string', { echoMode: 'on' }, 'spec.echoMode in body must be of type boolean'),
  bfd(
    'bfd-interval-fraction',
    { receiveInterval: 300.5 },
    'spec.receiveInterval in body must be of type integer',
  ),
];
