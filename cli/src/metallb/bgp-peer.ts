import {
  API_GROUP_VERSION,
  BGP_PEER_KIND,
  parseBgpPeer,
  parseDuration,
  type BGPPeer,
  type BGPPeerSpec,
} from '@ironlb/shared';
import { fail, warn, type Findings } from './diagnostics.js';
import { fieldPath, readBool, readInt, readObj, readString, warnUnknownFields, type Obj } from './fields.js';
import { checkWithParser } from './parser-check.js';
import { readSingleSelector } from './selectors.js';
import type { ObjectMeta, Translated } from './translated.js';

/** MetalLB fields ironlb cannot express: the peer is refused, with the reason. */
const REFUSED_FIELDS: Readonly<Record<string, string>> = {
  dynamicASN: 'ironlb needs a fixed peerASN (no internal/external detection)',
  interface: 'ironlb has no unnumbered BGP sessions (it peers with an address)',
  vrf: 'ironlb peers in the default VRF only',
};
/** MetalLB fields dropped with a warning: the session still works, with ironlb's or FRR's choice. */
const DROPPED_FIELDS: Readonly<Record<string, string>> = {
  connectTime: 'ironlb leaves the connect retry timer at FRR default',
  routerID: 'ironlb chooses the router ID of each node itself',
  enableGracefulRestart: 'ironlb has no per-peer graceful restart setting',
  disableMP: 'an ironlb session carries only the address family of its peer, as with disableMP: true',
};
const KNOWN = [
  'myASN',
  'peerASN',
  'peerAddress',
  'sourceAddress',
  'peerPort',
  'holdTime',
  'keepaliveTime',
  'nodeSelectors',
  'password',
  'passwordSecret',
  'bfdProfile',
  'ebgpMultiHop',
  'dualStackAddressFamily',
  ...Object.keys(REFUSED_FIELDS),
  ...Object.keys(DROPPED_FIELDS),
];

/** A Go duration (`90s`, `1m30s`, `1.5m`) → whole seconds as ironlb writes them (`90s`). */
function readTimer(f: Findings, o: { spec: Obj; key: string }): string | undefined {
  const path = fieldPath({ key: o.key, path: 'spec' });
  const text = readString(f, { obj: o.spec, key: o.key, path: 'spec' });
  if (text === undefined) return undefined;
  const ms = parseDuration(text);
  if (!ms.ok) {
    fail(f, `${path}: ${ms.error}`);
    return undefined;
  }
  const seconds = Math.floor(ms.value / 1000);
  if (seconds * 1000 !== ms.value)
    warn(f, `${path} ${text} rounded down to ${seconds}s (BGP timers are whole seconds)`);
  return `${seconds}s`;
}

function readFlagsAndRefusals(f: Findings, spec: Obj): void {
  for (const [key, why] of Object.entries(REFUSED_FIELDS)) {
    const v = spec[key];
    if (v !== undefined && v !== null && v !== '') fail(f, `spec.${key}: not translatable: ${why}`);
  }
  for (const [key, why] of Object.entries(DROPPED_FIELDS)) {
    const v = spec[key];
    if (v !== undefined && v !== null && v !== '' && v !== false) warn(f, `spec.${key} dropped: ${why}`);
  }
  if (readBool(f, { obj: spec, key: 'dualStackAddressFamily', path: 'spec' }) === true) {
    fail(
      f,
      'spec.dualStackAddressFamily: not translatable: an ironlb session carries only the address family of its peer; add a BGPPeer for the other family',
    );
  }
}

/**
 * The password: ironlb reads it only from a Secret in its own namespace (key `password` unless set). MetalLB's
 * plain `password` is not written out (it would land in a file); the user is told which Secret to create.
 */
function readPassword(f: Findings, o: { spec: Obj; name: string }): BGPPeerSpec['passwordSecret'] {
  const plain = readString(f, { obj: o.spec, key: 'password', path: 'spec' });
  const ref = readObj(f, { obj: o.spec, key: 'passwordSecret', path: 'spec' });
  const refName =
    ref === undefined ? undefined : readString(f, { obj: ref, key: 'name', path: 'spec.passwordSecret' });
  if (plain !== undefined && plain !== '' && refName !== undefined) {
    fail(f, 'spec.password and spec.passwordSecret are both set (MetalLB refuses that too)');
    return undefined;
  }
  if (plain !== undefined && plain !== '') {
    const secret = `${o.name}-bgp-password`;
    warn(
      f,
      `spec.password is not written out: create Secret ${secret} with key "password" in ironlb's namespace ` +
        `(kubectl create secret generic ${secret} --from-literal=password=...); spec.passwordSecret refers to it`,
    );
    return { name: secret, key: 'password' };
  }
  if (refName === undefined || refName === '') return undefined;
  const ns =
    ref === undefined
      ? undefined
      : readString(f, { obj: ref, key: 'namespace', path: 'spec.passwordSecret' });
  warn(
    f,
    `spec.passwordSecret: ironlb reads Secret ${refName} (key "password") from its own namespace; ` +
      `copy it there from ${ns ?? "MetalLB's namespace"}`,
  );
  return { name: refName, key: 'password' };
}

/** The optional fields, present in the output only when set in the input. */
function readOptional(f: Findings, o: { spec: Obj; name: string }): Partial<BGPPeerSpec> {
  const { spec } = o;
  const out: Partial<BGPPeerSpec> = {};
  const port = readInt(f, { obj: spec, key: 'peerPort', path: 'spec' });
  // MetalLB v1beta1 stores 0 for "not set".
  if (port !== undefined && port !== 0) out.peerPort = port;
  const source = readString(f, { obj: spec, key: 'sourceAddress', path: 'spec' });
  if (source !== undefined && source !== '') out.sourceAddress = source;
  const holdTime = readTimer(f, { spec, key: 'holdTime' });
  if (holdTime !== undefined) out.holdTime = holdTime;
  const keepaliveTime = readTimer(f, { spec, key: 'keepaliveTime' });
  if (keepaliveTime !== undefined) out.keepaliveTime = keepaliveTime;
  const passwordSecret = readPassword(f, { spec, name: o.name });
  if (passwordSecret !== undefined) out.passwordSecret = passwordSecret;
  const bfdProfile = readString(f, { obj: spec, key: 'bfdProfile', path: 'spec' });
  if (bfdProfile !== undefined && bfdProfile !== '') out.bfdProfile = bfdProfile;
  const nodeSelector = readSingleSelector(f, {
    obj: spec,
    key: 'nodeSelectors',
    path: 'spec',
    target: 'nodeSelector',
  });
  if (nodeSelector !== undefined) out.nodeSelector = nodeSelector;
  if (readBool(f, { obj: spec, key: 'ebgpMultiHop', path: 'spec' }) === true) out.ebgpMultiHop = true;
  return out;
}

/**
 * MetalLB `BGPPeer` (metallb.io/v1beta1 or v1beta2) → ironlb `BGPPeer` (cluster-scoped, same name). The node
 * selector list becomes one selector when that is exact (a peer cannot be split: one session per address).
 */
export function translateBgpPeer(f: Findings, o: { meta: ObjectMeta; spec: Obj }): Translated[] {
  const { spec } = o;
  warnUnknownFields(f, { obj: spec, path: 'spec', known: KNOWN });
  readFlagsAndRefusals(f, spec);
  const required: Partial<BGPPeerSpec> = {};
  const myASN = readInt(f, { obj: spec, key: 'myASN', path: 'spec' });
  if (myASN !== undefined) required.myASN = myASN;
  const peerASN = readInt(f, { obj: spec, key: 'peerASN', path: 'spec' });
  if (peerASN !== undefined) required.peerASN = peerASN;
  const peerAddress = readString(f, { obj: spec, key: 'peerAddress', path: 'spec' });
  if (peerAddress !== undefined && peerAddress !== '') required.peerAddress = peerAddress;
  // A missing required field fails checkWithParser below ("Required value"), so such a peer is never written.
  const peer: BGPPeer = {
    apiVersion: API_GROUP_VERSION,
    kind: BGP_PEER_KIND,
    metadata: o.meta,
    spec: required as BGPPeerSpec,
  };
  Object.assign(peer.spec, readOptional(f, { spec, name: o.meta.name }));
  checkWithParser(f, { object: peer, parse: parseBgpPeer });
  return [{ object: peer, comments: [] }];
}
