/**
 * Invalid IPPool manifests, each rejected with its own message by BOTH the API server (OpenAPI schema +
 * CEL rules in charts/ironlb/crds/ironlb.io_ippools.yaml) and `parseIPPool`. `expected` is a substring
 * of the error in both. Cases with `fieldValidation: 'Strict'` must be sent with
 * `?fieldValidation=Strict` (kubectl's default), otherwise the API server silently prunes the field.
 */
export interface InvalidIPPoolCase {
  readonly name: string;
  readonly manifest: Readonly<Record<string, unknown>>;
  readonly expected: string;
  readonly fieldValidation?: 'Strict';
}

function pool(name: string, spec: Record<string, unknown>): Record<string, unknown> {
  return { apiVersion: 'ironlb.io/v1alpha1', kind: 'IPPool', metadata: { name }, spec };
}

const v4 = '198.51.100.0/28';

function withAddresses(name: string, addresses: unknown): InvalidIPPoolCase['manifest'] {
  return pool(name, { addresses });
}

function withAllocation(name: string, serviceAllocation: unknown): InvalidIPPoolCase['manifest'] {
  return pool(name, { addresses: [v4], serviceAllocation });
}

const selector = (expr: Record<string, unknown>): Record<string, unknown> => ({
  serviceSelector: { matchExpressions: [expr] },
});

export const invalidIPPools: readonly InvalidIPPoolCase[] = [
  {
    name: 'bad-ipv4-octet',
    manifest: withAddresses('bad-ipv4-octet', [v4, '198.51.100.300/28']),
    expected: "'198.51.100.300/28' is not a valid IPv4/IPv6 CIDR, range or address",
  },
  {
    name: 'bad-ipv6-triple-colon',
    manifest: withAddresses('bad-ipv6-triple-colon', ['2001:db8:::1']),
    expected: "'2001:db8:::1' is not a valid IPv4/IPv6 CIDR, range or address",
  },
  {
    name: 'ipv4-leading-zero',
    manifest: withAddresses('ipv4-leading-zero', ['198.51.100.010']),
    expected: "'198.51.100.010' is not a valid IPv4/IPv6 CIDR, range or address",
  },
  {
    name: 'ipv4-mapped-ipv6',
    manifest: withAddresses('ipv4-mapped-ipv6', ['::ffff:198.51.100.1']),
    expected: "'::ffff:198.51.100.1' is not a valid IPv4/IPv6 CIDR, range or address",
  },
  {
    name: 'ipv6-zone',
    manifest: withAddresses('ipv6-zone', ['fe80::1%eth0']),
    expected: "'fe80::1%eth0' is not a valid IPv4/IPv6 CIDR, range or address",
  },
  {
    name: 'range-reversed-ipv4',
    manifest: withAddresses('range-reversed-ipv4', ['198.51.100.20-198.51.100.10']),
    expected: "range '198.51.100.20-198.51.100.10' starts after it ends",
  },
  {
    name: 'range-reversed-ipv6',
    manifest: withAddresses('range-reversed-ipv6', ['2001:db8::20-2001:db8::1f']),
    expected: "range '2001:db8::20-2001:db8::1f' starts after it ends",
  },
  {
    name: 'range-mixed-family',
    manifest: withAddresses('range-mixed-family', ['198.51.100.10-2001:db8::1']),
    expected: "range '198.51.100.10-2001:db8::1' mixes IPv4 and IPv6",
  },
  {
    name: 'cidr-host-bits-ipv4',
    manifest: withAddresses('cidr-host-bits-ipv4', ['198.51.100.1/28']),
    expected: "CIDR '198.51.100.1/28' has host bits set (it must be the network address)",
  },
  {
    name: 'cidr-host-bits-ipv6',
    manifest: withAddresses('cidr-host-bits-ipv6', ['2001:db8:100::1/64']),
    expected: "CIDR '2001:db8:100::1/64' has host bits set (it must be the network address)",
  },
  {
    name: 'prefix-too-long-ipv4',
    manifest: withAddresses('prefix-too-long-ipv4', ['198.51.100.0/33']),
    expected: 'prefix length 33 is out of range for IPv4 (0-32)',
  },
  {
    name: 'prefix-too-long-ipv6',
    manifest: withAddresses('prefix-too-long-ipv6', ['2001:db8::/129']),
    expected: 'prefix length 129 is out of range for IPv6 (0-128)',
  },
  {
    name: 'addresses-empty',
    manifest: withAddresses('addresses-empty', []),
    expected: 'addresses must list at least one CIDR, range or address',
  },
  {
    name: 'addresses-missing',
    manifest: pool('addresses-missing', { autoAssign: true }),
    expected: 'spec.addresses: Required value',
  },
  {
    name: 'addresses-duplicate',
    manifest: withAddresses('addresses-duplicate', [v4, '2001:db8::/64', v4]),
    expected: 'spec.addresses[2]: Duplicate value: "198.51.100.0/28"',
  },
  {
    name: 'addresses-too-many',
    manifest: withAddresses(
      'addresses-too-many',
      Array.from({ length: 65 }, (_, i) => `198.51.100.${i}`),
    ),
    expected: 'must have at most 64 items',
  },
  {
    name: 'priority-negative',
    manifest: withAllocation('priority-negative', { priority: -1 }),
    expected: 'priority must be >= 0 (lower numbers win)',
  },
  {
    name: 'namespace-not-dns-label',
    manifest: withAllocation('namespace-not-dns-label', { namespaces: ['team-a', 'Team_B'] }),
    expected: "'Team_B' is not a valid namespace name (DNS label",
  },
  {
    name: 'auto-assign-not-boolean',
    manifest: pool('auto-assign-not-boolean', { addresses: [v4], autoAssign: 'yes' }),
    expected: 'spec.autoAssign in body must be of type boolean',
  },
  {
    name: 'unknown-field',
    manifest: pool('unknown-field', { addresses: [v4], autoassign: false }),
    expected: 'unknown field "spec.autoassign"',
    fieldValidation: 'Strict',
  },
  {
    name: 'selector-bad-operator',
    manifest: withAllocation(
      'selector-bad-operator',
      selector({ key: 'app', operator: 'Equals', values: ['x'] }),
    ),
    expected: "operator 'Equals' must be one of In, NotIn, Exists, DoesNotExist",
  },
  {
    name: 'selector-in-without-values',
    manifest: withAllocation('selector-in-without-values', selector({ key: 'app', operator: 'In' })),
    expected: 'values must be non-empty when operator is In or NotIn',
  },
  {
    name: 'selector-exists-with-values',
    manifest: withAllocation(
      'selector-exists-with-values',
      selector({ key: 'app', operator: 'Exists', values: ['x'] }),
    ),
    expected: 'values must be empty when operator is Exists or DoesNotExist',
  },
  {
    name: 'selector-bad-label-key',
    manifest: withAllocation('selector-bad-label-key', {
      namespaceSelector: { matchLabels: { '-team': 'a' } },
    }),
    expected: "'-team' is not a valid label key",
  },
];
