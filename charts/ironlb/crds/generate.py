# Generates the ironlb.io CRDs of this folder (python3 generate.py; needs PyYAML).
# CEL messages must stay word for word equal to shared/src/config; the invalid tables
# (shared/src/config/testing/invalid-ippools.ts, invalid-bgp.ts) are checked against both.
# After generating, run `prettier --write charts/ironlb/crds` (the repo's format check covers YAML).
# Keep test manifests out of this folder: Helm installs every .yaml/.yml/.json under crds/.
import os, yaml
LABEL_KEY = '^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$'
LABEL_VALUE = '^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$'
def q(s):  # CEL single-quoted string literal
    return "'" + s.replace('\\', '\\\\').replace("'", "\\'") + "'"

def selector(desc):
    return {
      'type': 'object', 'description': desc + ' Standard label selector: all terms must hold; {} matches everything.',
      'properties': {
        'matchLabels': {
          'type': 'object', 'maxProperties': 32,
          'additionalProperties': {'type': 'string', 'maxLength': 63},
          'x-kubernetes-validations': [
            {'rule': f"self.all(k, size(k) <= 316 && k.matches({q(LABEL_KEY)}))",
             'messageExpression': f"\"'\" + self.filter(k, !(size(k) <= 316 && k.matches({q(LABEL_KEY)})))[0] + \"' is not a valid label key\""},
            {'rule': f"self.all(k, self[k].matches({q(LABEL_VALUE)}))",
             'messageExpression': f"\"'\" + self[self.filter(k, !self[k].matches({q(LABEL_VALUE)}))[0]] + \"' is not a valid label value (at most 63 letters, digits, '-', '_' or '.')\""},
          ],
        },
        'matchExpressions': {
          'type': 'array', 'maxItems': 32,
          'items': {
            'type': 'object', 'required': ['key', 'operator'],
            'properties': {
              'key': {'type': 'string', 'maxLength': 316,
                      'x-kubernetes-validations': [{'rule': f"self.matches({q(LABEL_KEY)})",
                         'messageExpression': "\"'\" + self + \"' is not a valid label key\""}]},
              'operator': {'type': 'string', 'maxLength': 63,
                 'x-kubernetes-validations': [{'rule': "self in ['In', 'NotIn', 'Exists', 'DoesNotExist']",
                    'messageExpression': "\"operator '\" + self + \"' must be one of In, NotIn, Exists, DoesNotExist\""}]},
              'values': {'type': 'array', 'maxItems': 32, 'x-kubernetes-list-type': 'set',
                 'items': {'type': 'string', 'maxLength': 63,
                    'x-kubernetes-validations': [{'rule': f"self.matches({q(LABEL_VALUE)})",
                       'messageExpression': "\"'\" + self + \"' is not a valid label value (at most 63 letters, digits, '-', '_' or '.')\""}]}},
            },
            'x-kubernetes-validations': [
              {'rule': "!(self.operator in ['In', 'NotIn']) || (has(self.values) && size(self.values) > 0)",
               'message': 'values must be non-empty when operator is In or NotIn'},
              {'rule': "!(self.operator in ['Exists', 'DoesNotExist']) || !has(self.values) || size(self.values) == 0",
               'message': 'values must be empty when operator is Exists or DoesNotExist'},
            ],
          },
        },
      },
      'x-kubernetes-map-type': 'atomic',
    }

# ---- address entry rules (mirror shared/src/config/address-entry.ts) ----
# Only substring() of the bounded item keeps CEL cost estimates finite (split() elements and string()
# of ip/cidr/int are unbounded for the estimator), hence indexOf/substring everywhere.
A = "self.substring(0, self.indexOf('-'))"; B = "self.substring(self.indexOf('-') + 1)"
P = "self.substring(0, self.indexOf('/'))"; X = "self.substring(self.indexOf('/') + 1)"
RANGE = f"self.indexOf('-') >= 0 && self.indexOf('-') == self.lastIndexOf('-') && isIP({A}) && isIP({B})"
CIDR = (f"!self.contains('-') && self.indexOf('/') >= 0 && self.indexOf('/') == self.lastIndexOf('/') && "
        f"isIP({P}) && {X}.matches('^(0|[1-9][0-9]{{0,2}})$')")
PLAIN = "!self.contains('-') && !self.contains('/') && isIP(self)"
# CEL has no ordering on IPs. start > end iff for some L: end is inside start/L, not inside start/(L+1),
# and bit L of start is 1 (start/(L+1) does not contain the network address of start/L).
# Unrolled over L = 0..127 (the estimator rejects IP equality and string(int)).
def term(l):
    guard = f"{l} < 32 || ip({A}).family() == 6"
    return (f"(({guard}) && cidr({A} + '/{l}').containsIP(ip({B})) && !cidr({A} + '/{l+1}').containsIP(ip({B})) && "
            f"!cidr({A} + '/{l+1}').containsIP(cidr({A} + '/{l}').masked().ip()))")
REVERSED = " || ".join(term(l) for l in range(128))
address_rules = [
  {'rule': f"({RANGE}) || ({CIDR}) || ({PLAIN})",
   'messageExpression': "\"'\" + self + \"' is not a valid IPv4/IPv6 CIDR, range or address\""},
  {'rule': f"!({CIDR}) || int({X}) <= (ip({P}).family() == 4 ? 32 : 128)",
   'messageExpression': f"'prefix length ' + {X} + (ip({P}).family() == 4 ? ' is out of range for IPv4 (0-32)' : ' is out of range for IPv6 (0-128)')"},
  {'rule': f"!({CIDR}) || !isCIDR(self) || cidr(self).masked() == cidr(self)",
   'messageExpression': "\"CIDR '\" + self + \"' has host bits set (it must be the network address)\""},
  {'rule': f"!({RANGE}) || ip({A}).family() == ip({B}).family()",
   'messageExpression': "\"range '\" + self + \"' mixes IPv4 and IPv6\""},
  {'rule': f"!({RANGE}) || ip({A}).family() != ip({B}).family() || !({REVERSED})",
   'messageExpression': "\"range '\" + self + \"' starts after it ends\""},
]
NS_RE = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$'
counts = lambda d: {'type': 'object', 'description': d, 'properties': {'ipv4': {'type': 'string'}, 'ipv6': {'type': 'string'}}}
condition = {
  'type': 'object', 'required': ['type', 'status', 'reason', 'message'],
  'properties': {
    'type': {'type': 'string', 'maxLength': 316}, 'status': {'type': 'string', 'enum': ['True', 'False', 'Unknown']},
    'reason': {'type': 'string', 'maxLength': 1024}, 'message': {'type': 'string', 'maxLength': 32768},
    'observedGeneration': {'type': 'integer', 'format': 'int64', 'minimum': 0},
    'lastTransitionTime': {'type': 'string', 'format': 'date-time'},
  },
}
ippool_schema = {
  'type': 'object',
  'description': 'IPPool: addresses the controller may assign to type: LoadBalancer Services.',
  'required': ['spec'],
  'properties': {
    'apiVersion': {'type': 'string'}, 'kind': {'type': 'string'}, 'metadata': {'type': 'object'},
    'spec': {
      'type': 'object', 'required': ['addresses'],
      'properties': {
        'addresses': {
          'type': 'array', 'maxItems': 64, 'x-kubernetes-list-type': 'set',
          'description': "CIDRs (198.51.100.0/28, 2001:db8:100::/64; host bits must be zero), inclusive ranges (198.51.100.10-198.51.100.20) or single addresses. Entries may overlap each other; the pool is their union.",
          'items': {'type': 'string', 'maxLength': 100, 'x-kubernetes-validations': address_rules},
          'x-kubernetes-validations': [{'rule': 'size(self) > 0', 'message': 'addresses must list at least one CIDR, range or address'}],
        },
        'autoAssign': {'type': 'boolean', 'default': True, 'description': 'false: only used when a Service asks for this pool or one of its addresses.'},
        'avoidBuggyIPs': {'type': 'boolean', 'default': False, 'description': 'Never hand out IPv4 addresses ending in .0 or .255.'},
        'serviceAllocation': {
          'type': 'object',
          'description': 'Which Services this pool serves and in which order pools are tried.',
          'properties': {
            'priority': {'type': 'integer', 'format': 'int32', 'description': 'Lower wins; pools without priority come after all pools with one; ties break by name.',
                         'x-kubernetes-validations': [{'rule': 'self >= 0', 'message': 'priority must be >= 0 (lower numbers win)'}]},
            'namespaces': {'type': 'array', 'maxItems': 64, 'x-kubernetes-list-type': 'set',
               'description': 'Namespaces served (OR namespaceSelector). Empty and no namespaceSelector: all namespaces.',
               'items': {'type': 'string', 'maxLength': 253, 'x-kubernetes-validations': [
                  {'rule': f"size(self) <= 63 && self.matches({q(NS_RE)})",
                   'messageExpression': "\"'\" + self + \"' is not a valid namespace name (DNS label: lowercase letters, digits and '-', at most 63 characters)\""}]}},
            'namespaceSelector': selector('Namespaces (by their labels) served, OR namespaces.'),
            'serviceSelector': selector('Services (by their labels) served.'),
          },
        },
      },
    },
    'status': {
      'type': 'object',
      'properties': {
        'capacity': counts('Usable addresses per family (decimal string; IPv6 counts exceed int64).'),
        'assigned': counts('Addresses held by Services per family.'),
        'available': counts('capacity - assigned per family.'),
        'conditions': {'type': 'array', 'maxItems': 8, 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['type'], 'items': condition},
        # Written by the controller; read back by restarted controllers and speakers (shared/src/config/last-valid.ts).
        # Not validated here: it held a spec the parser accepted, and a later, stricter schema must not block status writes.
        'lastValidSpec': {'type': 'object', 'x-kubernetes-preserve-unknown-fields': True,
          'description': 'The spec in use: the current one when valid, else the last valid one. A restarted controller or speaker keeps using it while spec is invalid, so no Service loses its address.'},
        'lastValidGeneration': {'type': 'integer', 'format': 'int64', 'minimum': 0, 'description': 'metadata.generation when lastValidSpec was the spec.'},
      },
    },
  },
}
def crd(kind, plural, short, schema, columns):
    return {
      'apiVersion': 'apiextensions.k8s.io/v1', 'kind': 'CustomResourceDefinition',
      'metadata': {'name': f'{plural}.ironlb.io'},
      'spec': {
        'group': 'ironlb.io', 'scope': 'Cluster',
        'names': {'kind': kind, 'listKind': kind + 'List', 'plural': plural, 'singular': kind.lower(), 'shortNames': short, 'categories': ['ironlb']},
        'versions': [{'name': 'v1alpha1', 'served': True, 'storage': True,
          'subresources': {'status': {}} if 'status' in schema['properties'] else {},
          'additionalPrinterColumns': columns,
          'schema': {'openAPIV3Schema': schema}}],
      },
    }
ready = {'name': 'Ready', 'type': 'string', 'jsonPath': '.status.conditions[?(@.type=="Ready")].status'}
age = {'name': 'Age', 'type': 'date', 'jsonPath': '.metadata.creationTimestamp'}
ippool = crd('IPPool', 'ippools', ['ipp'], ippool_schema, [
  {'name': 'Addresses', 'type': 'string', 'jsonPath': '.spec.addresses'},
  {'name': 'Auto', 'type': 'boolean', 'jsonPath': '.spec.autoAssign', 'priority': 1},
  {'name': 'Priority', 'type': 'integer', 'jsonPath': '.spec.serviceAllocation.priority', 'priority': 1},
  {'name': 'V4 Assigned', 'type': 'string', 'jsonPath': '.status.assigned.ipv4'},
  {'name': 'V4 Available', 'type': 'string', 'jsonPath': '.status.available.ipv4'},
  {'name': 'V6 Assigned', 'type': 'string', 'jsonPath': '.status.assigned.ipv6'},
  {'name': 'V6 Available', 'type': 'string', 'jsonPath': '.status.available.ipv6'},
  ready, {'name': 'Reason', 'type': 'string', 'jsonPath': '.status.conditions[?(@.type=="Ready")].reason', 'priority': 1}, age])
IF_RE = '^[^/:\\s]{1,15}$'
POOL_RE = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$'
l2_schema = {
  'type': 'object',
  'description': 'L2Announcement: which pools are announced with ARP/NDP, from which nodes and interfaces.',
  'required': ['spec'],
  'properties': {
    'apiVersion': {'type': 'string'}, 'kind': {'type': 'string'}, 'metadata': {'type': 'object'},
    'spec': {'type': 'object', 'properties': {
      'ipPools': {'type': 'array', 'maxItems': 64, 'x-kubernetes-list-type': 'set',
        'description': 'IPPool names announced (OR ipPoolSelector). Neither set: every pool.',
        'items': {'type': 'string', 'maxLength': 253, 'x-kubernetes-validations': [
          {'rule': f"self.matches({q(POOL_RE)})", 'messageExpression': "\"'\" + self + \"' is not a valid IPPool name (DNS subdomain)\""}]}},
      'ipPoolSelector': selector('IPPools (by their labels) announced, OR ipPools.'),
      'nodeSelector': selector('Nodes that may announce. Absent: every node.'),
      'interfaces': {'type': 'array', 'maxItems': 64, 'x-kubernetes-list-type': 'set',
        'description': "Interfaces to answer on. Empty: the interface holding the node's InternalIP route.",
        'items': {'type': 'string', 'maxLength': 64, 'x-kubernetes-validations': [
          {'rule': f"self.matches({q(IF_RE)}) && self != '.' && self != '..'",
           'messageExpression': "\"'\" + self + \"' is not a valid interface name (1-15 characters, no '/', ':' or whitespace)\""}]}},
    }},
  },
}
l2 = crd('L2Announcement', 'l2announcements', ['l2a'], l2_schema, [
  {'name': 'Pools', 'type': 'string', 'jsonPath': '.spec.ipPools'},
  {'name': 'Interfaces', 'type': 'string', 'jsonPath': '.spec.interfaces'}, age])

# ---- BGP kinds (mirror shared/src/config/bgp-fields.ts, bgp-peer.ts, bgp-advertisement.ts, bgp-community.ts, bfd-profile.ts) ----
DNS_RE = POOL_RE
def names(kind, desc):
    return {'type': 'array', 'maxItems': 64, 'x-kubernetes-list-type': 'set', 'description': desc,
      'items': {'type': 'string', 'maxLength': 253, 'x-kubernetes-validations': [
        {'rule': f"self.matches({q(DNS_RE)})", 'messageExpression': f"\"'\" + self + \"' is not a valid {kind} name (DNS subdomain)\""}]}}
def name_ref(kind, desc):
    return {'type': 'string', 'maxLength': 253, 'description': desc, 'x-kubernetes-validations': [
      {'rule': f"self.matches({q(DNS_RE)})", 'messageExpression': f"\"'\" + self + \"' is not a valid {kind} name (DNS subdomain)\""}]}
def ip_field(desc):
    return {'type': 'string', 'maxLength': 64, 'description': desc, 'x-kubernetes-validations': [
      {'rule': 'isIP(self)', 'messageExpression': "\"'\" + self + \"' is not a valid IPv4 or IPv6 address\""},
      {'rule': '!isIP(self) || ip(self).isGlobalUnicast()',
       'messageExpression': "\"'\" + self + \"' is not a global unicast address (unspecified, loopback, multicast, link-local and broadcast addresses cannot peer)\""}]}
DUR_RE = '^([0-9]{1,5}h)?([0-9]{1,5}m)?([0-9]{1,5}s)?$'
def dur_ok(x):
    return f"({x} != '' && {x}.matches({q(DUR_RE)}))"
def secs(x):
    return f"duration({x}).getSeconds()"
def duration_field(desc, valid, message):
    return {'type': 'string', 'maxLength': 20, 'description': desc, 'x-kubernetes-validations': [
      {'rule': dur_ok('self'), 'messageExpression': "\"'\" + self + \"' is not a duration in whole seconds like 90s, 3m or 1m30s\""},
      {'rule': f"!{dur_ok('self')} || ({valid})", 'message': message}]}
UINT32 = 4294967295
# No 'format': with one the API server words a non-integer as 'must be of type int32' instead of 'integer'.
def bounded(lo, hi, desc, **extra):
    return {'type': 'integer', 'minimum': lo, 'maximum': hi, 'description': desc, **extra}
S = secs('self')
peer_schema = {
  'type': 'object',
  'description': 'BGPPeer: a router every selected node opens a BGP session to.',
  'required': ['spec'],
  'properties': {
    'apiVersion': {'type': 'string'}, 'kind': {'type': 'string'}, 'metadata': {'type': 'object'},
    'spec': {
      'type': 'object', 'required': ['myASN', 'peerASN', 'peerAddress'],
      'properties': {
        'myASN': bounded(1, UINT32, "The cluster's ASN for this session."),
        'peerASN': bounded(1, UINT32, 'The ASN the peer must announce; equal to myASN for iBGP.'),
        'peerAddress': ip_field('IPv4 or IPv6 address of the peer.'),
        'peerPort': bounded(1, 65535, 'TCP port of the peer.', default=179),
        'holdTime': duration_field('BGP hold time in whole seconds (90s, 3m): 0s or 3s-65535s. Unset: FRR default.',
            f"{S} == 0 || ({S} >= 3 && {S} <= 65535)", 'holdTime must be 0s (no keepalives) or between 3s and 65535s'),
        'keepaliveTime': duration_field('BGP keepalive interval in whole seconds, shorter than holdTime; needs holdTime.',
            f"{S} >= 1 && {S} <= 65535", 'keepaliveTime must be between 1s and 65535s'),
        'passwordSecret': {'type': 'object', 'required': ['name'],
          'description': 'TCP MD5 password: a key of a Secret in the namespace ironlb runs in.',
          'properties': {
            'name': name_ref('Secret', 'Secret name.'),
            'key': {'type': 'string', 'maxLength': 253, 'default': 'password', 'description': 'Key in the Secret.',
              'x-kubernetes-validations': [{'rule': f"self.matches({q('^[-._a-zA-Z0-9]+$')})",
                'messageExpression': "\"'\" + self + \"' is not a valid Secret key (letters, digits, '-', '_' or '.')\""}]},
          }},
        'bfdProfile': name_ref('BFDProfile', 'BFDProfile supervising the session. Unset: no BFD.'),
        'nodeSelector': selector('Nodes that peer. Absent: every node.'),
        'ebgpMultiHop': {'type': 'boolean', 'default': False, 'description': 'The peer is more than one hop away.'},
        'sourceAddress': ip_field('Local address of the session, same family as peerAddress. Unset: the route decides.'),
      },
      'x-kubernetes-validations': [
        {'rule': '!has(self.keepaliveTime) || has(self.holdTime)', 'message': 'keepaliveTime needs holdTime (BGP timers are set together)'},
        {'rule': (f"!has(self.keepaliveTime) || !has(self.holdTime) || !{dur_ok('self.keepaliveTime')} || !{dur_ok('self.holdTime')} || "
                  f"{secs('self.holdTime')} == 0 || {secs('self.keepaliveTime')} < {secs('self.holdTime')}"),
         'message': 'keepaliveTime must be shorter than holdTime'},
        {'rule': ("!has(self.sourceAddress) || !isIP(self.sourceAddress) || !isIP(self.peerAddress) || "
                  "ip(self.sourceAddress).family() == ip(self.peerAddress).family()"),
         'message': 'sourceAddress must be of the same IP family as peerAddress'},
      ],
    },
    'status': {
      'type': 'object',
      'properties': {
        'sessions': {
          'type': 'array', 'maxItems': 5000, 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['node'],
          'description': "One entry per node that peers; each speaker writes its own node's entry (server-side apply).",
          'items': {'type': 'object', 'required': ['node', 'state'], 'properties': {
            'node': {'type': 'string', 'maxLength': 253},
            'state': {'type': 'string', 'enum': ['Idle', 'Connect', 'Active', 'OpenSent', 'OpenConfirm', 'Established']},
            'lastChange': {'type': 'string', 'format': 'date-time', 'description': 'When state last changed.'},
          }},
        },
        # A printer column shows only the FIRST value a JSONPath finds, so the per-node states need one summary field.
        'summary': {'type': 'string', 'maxLength': 64,
          'description': 'sessions in one line for kubectl get, e.g. "2/3 Established" (shared/src/config/bgp-session-summary.ts).'},
      },
    },
  },
}
peer = crd('BGPPeer', 'bgppeers', ['bgpp'], peer_schema, [
  {'name': 'Address', 'type': 'string', 'jsonPath': '.spec.peerAddress'},
  {'name': 'ASN', 'type': 'integer', 'jsonPath': '.spec.peerASN'},
  {'name': 'Sessions', 'type': 'string', 'jsonPath': '.status.summary'},
  {'name': 'My ASN', 'type': 'integer', 'jsonPath': '.spec.myASN', 'priority': 1},
  {'name': 'BFD Profile', 'type': 'string', 'jsonPath': '.spec.bfdProfile', 'priority': 1},
  {'name': 'Multi Hop', 'type': 'boolean', 'jsonPath': '.spec.ebgpMultiHop', 'priority': 1},
  age])
STD_RE = '^(6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[1-9][0-9]{0,3}|0):(6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[1-9][0-9]{0,3}|0)$'
U32_RE = '(429496729[0-5]|42949672[0-8][0-9]|4294967[01][0-9]{2}|429496[0-6][0-9]{3}|42949[0-5][0-9]{4}|4294[0-8][0-9]{5}|429[0-3][0-9]{6}|42[0-8][0-9]{7}|4[01][0-9]{8}|[1-3][0-9]{9}|[1-9][0-9]{0,8}|0)'
LARGE_RE = f'^large:{U32_RE}:{U32_RE}:{U32_RE}$'
WELL_KNOWN = ['internet', 'graceful-shutdown', 'accept-own', 'llgr-stale', 'no-llgr', 'blackhole', 'no-export', 'no-advertise', 'local-AS', 'no-peer']
adv_schema = {
  'type': 'object',
  'description': 'BGPAdvertisement: which pools are advertised over BGP, from which nodes, to which peers, with which attributes.',
  'required': ['spec'],
  'properties': {
    'apiVersion': {'type': 'string'}, 'kind': {'type': 'string'}, 'metadata': {'type': 'object'},
    'spec': {'type': 'object', 'properties': {
      'ipPools': names('IPPool', 'IPPool names advertised (OR ipPoolSelector). Neither set: every pool.'),
      'ipPoolSelector': selector('IPPools (by their labels) advertised, OR ipPools.'),
      'nodeSelector': selector('Nodes that advertise. Absent: every node.'),
      'peers': names('BGPPeer', 'BGPPeer names advertised to. Empty: every peer.'),
      'communities': {'type': 'array', 'maxItems': 64, 'x-kubernetes-list-type': 'set',
        'description': 'BGP communities: AA:NN, large:A:B:C or a well-known name (no-export, no-advertise, ...).',
        'items': {'type': 'string', 'maxLength': 64, 'x-kubernetes-validations': [
          {'rule': f"self.matches({q(STD_RE)}) || self.matches({q(LARGE_RE)}) || self in [{', '.join(q(w) for w in WELL_KNOWN)}]",
           'messageExpression': "\"'\" + self + \"' is not a BGP community (AA:NN with numbers 0-65535, large:A:B:C with numbers 0-4294967295, or a well-known name such as no-export)\""}]}},
      'localPref': bounded(0, UINT32, 'BGP LOCAL_PREF; only iBGP peers receive it.'),
      'aggregationLength': bounded(1, 32, 'Prefix length advertised for IPv4 addresses (32: each address alone).', default=32),
      'aggregationLengthV6': bounded(1, 128, 'Prefix length advertised for IPv6 addresses (128: each address alone).', default=128),
    }},
  },
}
adv = crd('BGPAdvertisement', 'bgpadvertisements', ['bgpa'], adv_schema, [
  {'name': 'Pools', 'type': 'string', 'jsonPath': '.spec.ipPools'},
  {'name': 'Peers', 'type': 'string', 'jsonPath': '.spec.peers'},
  {'name': 'Communities', 'type': 'string', 'jsonPath': '.spec.communities', 'priority': 1},
  {'name': 'Local Pref', 'type': 'integer', 'jsonPath': '.spec.localPref', 'priority': 1},
  age])
bfd_schema = {
  'type': 'object',
  'description': 'BFDProfile: BFD timers for the BGP sessions of the BGPPeers that name it. Unset fields keep FRR defaults.',
  'required': ['spec'],
  'properties': {
    'apiVersion': {'type': 'string'}, 'kind': {'type': 'string'}, 'metadata': {'type': 'object'},
    'spec': {'type': 'object', 'properties': {
      'receiveInterval': bounded(10, 60000, 'Minimum interval between received control packets, ms (FRR default 300).'),
      'transmitInterval': bounded(10, 60000, 'Minimum interval between sent control packets, ms (FRR default 300).'),
      'detectMultiplier': bounded(2, 255, 'Packets lost before the session is down (FRR default 3).'),
      'echoInterval': bounded(10, 60000, 'Echo packet interval, ms (FRR default 50).'),
      'echoMode': {'type': 'boolean', 'description': 'Send echo packets (single hop only).'},
      'passiveMode': {'type': 'boolean', 'description': 'Wait for the peer to start the session.'},
      'minimumTtl': bounded(1, 254, 'Multihop only: minimum TTL of received packets (FRR default 254).'),
    }},
  },
}
bfd = crd('BFDProfile', 'bfdprofiles', ['bfdp'], bfd_schema, [
  {'name': 'Receive', 'type': 'integer', 'jsonPath': '.spec.receiveInterval'},
  {'name': 'Transmit', 'type': 'integer', 'jsonPath': '.spec.transmitInterval'},
  {'name': 'Multiplier', 'type': 'integer', 'jsonPath': '.spec.detectMultiplier'},
  {'name': 'Echo', 'type': 'boolean', 'jsonPath': '.spec.echoMode', 'priority': 1},
  {'name': 'Passive', 'type': 'boolean', 'jsonPath': '.spec.passiveMode', 'priority': 1},
  age])
class D(yaml.SafeDumper): pass
D.add_representer(str, lambda d, s: d.represent_scalar('tag:yaml.org,2002:str', s, style='"' if ("'" in s or '\\' in s or ': ' in s or s.startswith(('!','^','*'))) and len(s) < 400 else ('|' if len(s) >= 400 else None)))
SOURCES = {
  'ironlb.io_ippools.yaml': 'address-entry.ts, ip-pool.ts, label-selector.ts, l2-announcement.ts',
  'ironlb.io_l2announcements.yaml': 'address-entry.ts, ip-pool.ts, label-selector.ts, l2-announcement.ts',
  'ironlb.io_bgppeers.yaml': 'bgp-fields.ts, bgp-peer.ts, label-selector.ts',
  'ironlb.io_bgpadvertisements.yaml': 'bgp-fields.ts, bgp-advertisement.ts, bgp-community.ts, label-selector.ts',
  'ironlb.io_bfdprofiles.yaml': 'bgp-fields.ts, bfd-profile.ts',
}
for name, obj in [('ironlb.io_ippools.yaml', ippool), ('ironlb.io_l2announcements.yaml', l2), ('ironlb.io_bgppeers.yaml', peer),
                  ('ironlb.io_bgpadvertisements.yaml', adv), ('ironlb.io_bfdprofiles.yaml', bfd)]:
    with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), name), 'w') as f:
        f.write(f'# Generated by charts/ironlb/crds/generate.py; edit that file, not this one. Messages must match\n# shared/src/config ({SOURCES[name]}).\n---\n')
        yaml.dump(obj, f, Dumper=D, sort_keys=False, width=10000, allow_unicode=True)
print('ok')
