import type { LabelSelector } from '../types/api.js';
import { type Result, err, ok } from '../types/result.js';
import {
  type Collector,
  type Json,
  checkUnknown,
  isObject,
  readObject,
  readString,
  readStringSet,
  typeError,
} from './fields.js';
import { matchesLabelSelector, readLabelSelector } from './label-selector.js';

/** Linux interface names: 1-15 bytes, no '/', ':' or whitespace, not '.' or '..'. */
const INTERFACE_PATTERN = '^[^/:\\s]{1,15}$';
const POOL_NAME_PATTERN = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$';
const L2_LIST_MAX_ITEMS = 64;
const interfaceRe = new RegExp(INTERFACE_PATTERN);
const poolNameRe = new RegExp(POOL_NAME_PATTERN);

const l2Messages = {
  interfaceName: (s: string): string =>
    `'${s}' is not a valid interface name (1-15 characters, no '/', ':' or whitespace)`,
  poolName: (s: string): string => `'${s}' is not a valid IPPool name (DNS subdomain)`,
} as const;

/**
 * A validated L2Announcement. Pool scope: when neither ipPools nor ipPoolSelector is set, every pool;
 * otherwise a pool is covered when it is named in ipPools OR matches ipPoolSelector.
 * Node scope: nodeSelector absent = every node. interfaces empty = the interface of the node's
 * InternalIP route.
 */
export interface L2AnnouncementConfig {
  readonly name: string;
  readonly ipPools: readonly string[];
  readonly ipPoolSelector: LabelSelector | undefined;
  readonly nodeSelector: LabelSelector | undefined;
  readonly interfaces: readonly string[];
}

function checkEach(
  c: Collector,
  opts: { list: string[]; path: string; valid: (s: string) => boolean; msg: (s: string) => string },
): void {
  opts.list.forEach((s, i) => {
    if (!opts.valid(s)) c.errors.push(`${opts.path}[${i}]: ${opts.msg(s)}`);
  });
}

export function parseL2Announcement(obj: unknown): Result<L2AnnouncementConfig, string[]> {
  if (!isObject(obj)) return err([typeError('L2Announcement', 'object', obj)]);
  const c: Collector = { errors: [] };
  const meta = readObject(c, obj.metadata, 'metadata') ?? {};
  const name = readString(c, meta.name, 'metadata.name') ?? '';
  if (name === '') c.errors.push('metadata.name: Required value');
  const spec: Json = readObject(c, obj.spec, 'spec') ?? {};
  checkUnknown(c, {
    obj: spec,
    path: 'spec',
    known: ['ipPools', 'ipPoolSelector', 'nodeSelector', 'interfaces'],
  });
  const ipPools = readStringSet(c, spec.ipPools, { path: 'spec.ipPools', maxItems: L2_LIST_MAX_ITEMS }) ?? [];
  checkEach(c, {
    list: ipPools,
    path: 'spec.ipPools',
    valid: (s) => s.length <= 253 && poolNameRe.test(s),
    msg: l2Messages.poolName,
  });
  const interfaces =
    readStringSet(c, spec.interfaces, { path: 'spec.interfaces', maxItems: L2_LIST_MAX_ITEMS }) ?? [];
  checkEach(c, {
    list: interfaces,
    path: 'spec.interfaces',
    valid: (s) => interfaceRe.test(s) && s !== '.' && s !== '..',
    msg: l2Messages.interfaceName,
  });
  const ipPoolSelector = readLabelSelector(c, spec.ipPoolSelector, 'spec.ipPoolSelector');
  const nodeSelector = readLabelSelector(c, spec.nodeSelector, 'spec.nodeSelector');
  if (c.errors.length > 0) return err(c.errors);
  return ok({ name, ipPools, ipPoolSelector, nodeSelector, interfaces });
}

/** Does this announcement cover the pool (by name or labels)? */
export function announcementCoversPool(
  l2: L2AnnouncementConfig,
  pool: { name: string; labels?: Readonly<Record<string, string>> },
): boolean {
  if (l2.ipPools.length === 0 && l2.ipPoolSelector === undefined) return true;
  if (l2.ipPools.includes(pool.name)) return true;
  return l2.ipPoolSelector !== undefined && matchesLabelSelector(l2.ipPoolSelector, pool.labels);
}

/** Does this announcement apply on a node with these labels? */
export function announcementCoversNode(
  l2: L2AnnouncementConfig,
  nodeLabels: Readonly<Record<string, string>> | undefined,
): boolean {
  return l2.nodeSelector === undefined || matchesLabelSelector(l2.nodeSelector, nodeLabels);
}
