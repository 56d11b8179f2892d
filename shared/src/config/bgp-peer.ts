import {
  BGP_DEFAULT_PASSWORD_KEY,
  BGP_DEFAULT_PORT,
  type BgpPeerConfig,
  type SecretKeyRef,
} from '../types/bgp.js';
import type { LabelSelector } from '../types/api.js';
import { type Result, err, ok } from '../types/result.js';
import {
  SECRET_KEY_PATTERN,
  UINT32_MAX,
  readBoundedInt,
  readBoundedString,
  readDurationSeconds,
  readNameAndUid,
  readObjectName,
  readSpec,
  readUnicastIP,
} from './bgp-fields.js';
import { type Collector, checkUnknown, isObject, readBoolean, readObject, typeError } from './fields.js';
import { matchesLabelSelector, readLabelSelector } from './label-selector.js';

const secretKeyRe = new RegExp(SECRET_KEY_PATTERN);

/** Shared word for word with the CEL rules of charts/ironlb/crds/ironlb.io_bgppeers.yaml. */
export const bgpPeerMessages = {
  holdTime: 'holdTime must be 0s (no keepalives) or between 3s and 65535s',
  keepaliveTime: 'keepaliveTime must be between 1s and 65535s',
  keepaliveNeedsHold: 'keepaliveTime needs holdTime (BGP timers are set together)',
  keepaliveShorter: 'keepaliveTime must be shorter than holdTime',
  sourceFamily: 'sourceAddress must be of the same IP family as peerAddress',
  secretKey: (s: string): string => `'${s}' is not a valid Secret key (letters, digits, '-', '_' or '.')`,
} as const;

const SPEC_FIELDS = [
  'myASN',
  'peerASN',
  'peerAddress',
  'peerPort',
  'holdTime',
  'keepaliveTime',
  'passwordSecret',
  'bfdProfile',
  'nodeSelector',
  'ebgpMultiHop',
  'sourceAddress',
] as const;

function required(c: Collector, o: { value: unknown; path: string }): void {
  if (o.value === undefined) c.errors.push(`${o.path}: Required value`);
}

function readPasswordSecret(c: Collector, raw: unknown): SecretKeyRef | undefined {
  const path = 'spec.passwordSecret';
  const obj = readObject(c, raw, path);
  if (obj === undefined) return undefined;
  checkUnknown(c, { obj, path, known: ['name', 'key'] });
  required(c, { value: obj.name, path: `${path}.name` });
  const name = readObjectName(c, obj.name, { path: `${path}.name`, kind: 'Secret' });
  const key = readBoundedString(c, obj.key, { path: `${path}.key`, maxLength: 253 });
  if (key !== undefined && !secretKeyRe.test(key)) {
    c.errors.push(`${path}.key: ${bgpPeerMessages.secretKey(key)}`);
    return undefined;
  }
  return name === undefined ? undefined : { name, key: key ?? BGP_DEFAULT_PASSWORD_KEY };
}

interface Timers {
  holdTimeSeconds: number | undefined;
  keepaliveTimeSeconds: number | undefined;
}

function readTimers(c: Collector, spec: Record<string, unknown>): Timers {
  const holdTimeSeconds = readDurationSeconds(c, spec.holdTime, {
    path: 'spec.holdTime',
    valid: (s) => s === 0 || (s >= 3 && s <= 65535),
    rangeMessage: bgpPeerMessages.holdTime,
  });
  const keepaliveTimeSeconds = readDurationSeconds(c, spec.keepaliveTime, {
    path: 'spec.keepaliveTime',
    valid: (s) => s >= 1 && s <= 65535,
    rangeMessage: bgpPeerMessages.keepaliveTime,
  });
  if (spec.keepaliveTime !== undefined && spec.holdTime === undefined) {
    c.errors.push(`spec: ${bgpPeerMessages.keepaliveNeedsHold}`);
  }
  if (
    holdTimeSeconds !== undefined &&
    keepaliveTimeSeconds !== undefined &&
    holdTimeSeconds !== 0 &&
    keepaliveTimeSeconds >= holdTimeSeconds
  ) {
    c.errors.push(`spec: ${bgpPeerMessages.keepaliveShorter}`);
  }
  return { holdTimeSeconds, keepaliveTimeSeconds };
}

/**
 * Parses a BGPPeer object (from the API server or YAML) with the CRD's rules and words; every message
 * carries its field path. Defaults: peerPort 179, ebgpMultiHop false, passwordSecret.key `password`.
 */
export function parseBgpPeer(obj: unknown): Result<BgpPeerConfig, string[]> {
  if (!isObject(obj)) return err([typeError('BGPPeer', 'object', obj)]);
  const c: Collector = { errors: [] };
  const { name, uid } = readNameAndUid(c, obj.metadata);
  const spec = readSpec(c, obj);
  checkUnknown(c, { obj: spec, path: 'spec', known: SPEC_FIELDS });
  for (const field of ['myASN', 'peerASN', 'peerAddress'] as const) {
    required(c, { value: spec[field], path: `spec.${field}` });
  }
  const localASN = readBoundedInt(c, spec.myASN, { path: 'spec.myASN', min: 1, max: UINT32_MAX });
  const peerASN = readBoundedInt(c, spec.peerASN, { path: 'spec.peerASN', min: 1, max: UINT32_MAX });
  const peerAddress = readUnicastIP(c, spec.peerAddress, 'spec.peerAddress');
  const sourceAddress = readUnicastIP(c, spec.sourceAddress, 'spec.sourceAddress');
  if (
    peerAddress !== undefined &&
    sourceAddress !== undefined &&
    peerAddress.family !== sourceAddress.family
  ) {
    c.errors.push(`spec: ${bgpPeerMessages.sourceFamily}`);
  }
  const port = readBoundedInt(c, spec.peerPort, { path: 'spec.peerPort', min: 1, max: 65535 });
  const timers = readTimers(c, spec);
  const passwordSecret = readPasswordSecret(c, spec.passwordSecret);
  const bfdProfile = readObjectName(c, spec.bfdProfile, { path: 'spec.bfdProfile', kind: 'BFDProfile' });
  const nodeSelector = readLabelSelector(c, spec.nodeSelector, 'spec.nodeSelector');
  const ebgpMultiHop = readBoolean(c, spec.ebgpMultiHop, 'spec.ebgpMultiHop') ?? false;
  if (c.errors.length > 0 || peerAddress === undefined || localASN === undefined || peerASN === undefined) {
    return err(c.errors);
  }
  return ok({
    name,
    uid,
    peerAddress,
    peerASN,
    localASN,
    port: port ?? BGP_DEFAULT_PORT,
    ...timers,
    passwordSecret,
    bfdProfile,
    nodeSelector,
    ebgpMultiHop,
    sourceAddress,
  });
}

/** Does this node (by its labels) open a session to the peer? */
export function peerCoversNode(
  peer: { readonly nodeSelector: LabelSelector | undefined },
  nodeLabels: Readonly<Record<string, string>> | undefined,
): boolean {
  return peer.nodeSelector === undefined || matchesLabelSelector(peer.nodeSelector, nodeLabels);
}
