import type { IPFamily } from '../ip/address.js';
import { type IPRange, countBuggy, normalizeRanges, rangeSize } from '../ip/range.js';
import type { LabelSelector } from '../types/api.js';
import { type Result, err, ok } from '../types/result.js';
import {
  ADDRESSES_MAX_ITEMS,
  ADDRESS_MAX_LENGTH,
  addressMessages,
  parseAddressEntry,
} from './address-entry.js';
import {
  type Collector,
  type Json,
  checkUnknown,
  isObject,
  readBoolean,
  readInteger,
  readObject,
  readString,
  readStringSet,
  typeError,
} from './fields.js';
import { readLabelSelector } from './label-selector.js';

const NAMESPACE_PATTERN = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$';
const NAMESPACES_MAX_ITEMS = 64;
const namespaceRe = new RegExp(NAMESPACE_PATTERN);

const poolMessages = {
  priority: 'priority must be >= 0 (lower numbers win)',
  namespace: (ns: string): string =>
    `'${ns}' is not a valid namespace name (DNS label: lowercase letters, digits and '-', at most 63 characters)`,
} as const;

/** A validated IPPool. `ranges` is normalized: sorted (IPv4 first), disjoint, merged. */
export interface IPPoolConfig {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  /** RFC 3339; '' when unknown (sorts first, then by name). */
  readonly creationTimestamp: string;
  readonly addresses: readonly string[];
  readonly ranges: readonly IPRange[];
  readonly autoAssign: boolean;
  readonly avoidBuggyIPs: boolean;
  /** undefined = no priority: after every pool that has one. Lower wins. */
  readonly priority: number | undefined;
  /** Empty = no namespace restriction (unless namespaceSelector is set). */
  readonly namespaces: readonly string[];
  readonly namespaceSelector: LabelSelector | undefined;
  readonly serviceSelector: LabelSelector | undefined;
}

function readAddresses(c: Collector, raw: unknown): IPRange[] {
  const path = 'spec.addresses';
  if (raw === undefined) {
    c.errors.push(`${path}: Required value`);
    return [];
  }
  const list = readStringSet(c, raw, { path, maxItems: ADDRESSES_MAX_ITEMS });
  if (list === undefined) return [];
  if (list.length === 0) c.errors.push(`${path}: ${addressMessages.empty}`);
  const ranges: IPRange[] = [];
  list.forEach((text, i) => {
    if (text.length > ADDRESS_MAX_LENGTH) {
      c.errors.push(`${path}[${i}]: Too long: may not be more than ${ADDRESS_MAX_LENGTH} bytes`);
      return;
    }
    const r = parseAddressEntry(text);
    if (r.ok) ranges.push(r.value);
    else c.errors.push(`${path}[${i}]: ${r.error}`);
  });
  return ranges;
}

interface Allocation {
  priority: number | undefined;
  namespaces: string[];
  namespaceSelector: LabelSelector | undefined;
  serviceSelector: LabelSelector | undefined;
}

function readServiceAllocation(c: Collector, raw: unknown): Allocation {
  const path = 'spec.serviceAllocation';
  const obj = readObject(c, raw, path) ?? {};
  checkUnknown(c, { obj, path, known: ['priority', 'namespaces', 'namespaceSelector', 'serviceSelector'] });
  const priority = readInteger(c, obj.priority, `${path}.priority`);
  if (priority !== undefined && priority < 0) c.errors.push(`${path}.priority: ${poolMessages.priority}`);
  const nsPath = `${path}.namespaces`;
  const namespaces = readStringSet(c, obj.namespaces, { path: nsPath, maxItems: NAMESPACES_MAX_ITEMS }) ?? [];
  namespaces.forEach((ns, i) => {
    if (ns.length > 63 || !namespaceRe.test(ns))
      c.errors.push(`${nsPath}[${i}]: ${poolMessages.namespace(ns)}`);
  });
  return {
    priority,
    namespaces,
    namespaceSelector: readLabelSelector(c, obj.namespaceSelector, `${path}.namespaceSelector`),
    serviceSelector: readLabelSelector(c, obj.serviceSelector, `${path}.serviceSelector`),
  };
}

function readMeta(
  c: Collector,
  raw: unknown,
): { name: string; creationTimestamp: string; labels: Record<string, string> } {
  const meta = readObject(c, raw, 'metadata') ?? {};
  const name = readString(c, meta.name, 'metadata.name');
  if (name === undefined || name === '') c.errors.push('metadata.name: Required value');
  const ts = readString(c, meta.creationTimestamp, 'metadata.creationTimestamp');
  const labels = isObject(meta.labels) ? (meta.labels as Record<string, string>) : {};
  return { name: name ?? '', creationTimestamp: ts ?? '', labels };
}

/**
 * Parses an IPPool object (as returned by the API server or read from YAML). Applies the same rules,
 * with the same wording, as the CRD's OpenAPI schema and CEL rules. Errors carry their field path.
 */
export function parseIPPool(obj: unknown): Result<IPPoolConfig, string[]> {
  if (!isObject(obj)) return err([typeError('IPPool', 'object', obj)]);
  const c: Collector = { errors: [] };
  const { name, creationTimestamp, labels } = readMeta(c, obj.metadata);
  const spec: Json = readObject(c, obj.spec, 'spec') ?? {};
  if (obj.spec === undefined) c.errors.push('spec: Required value');
  checkUnknown(c, {
    obj: spec,
    path: 'spec',
    known: ['addresses', 'autoAssign', 'avoidBuggyIPs', 'serviceAllocation'],
  });
  const ranges = readAddresses(c, spec.addresses);
  const autoAssign = readBoolean(c, spec.autoAssign, 'spec.autoAssign') ?? true;
  const avoidBuggyIPs = readBoolean(c, spec.avoidBuggyIPs, 'spec.avoidBuggyIPs') ?? false;
  const alloc = readServiceAllocation(c, spec.serviceAllocation);
  if (c.errors.length > 0) return err(c.errors);
  return ok({
    name,
    labels,
    creationTimestamp,
    addresses: spec.addresses as string[],
    ranges: normalizeRanges(ranges),
    autoAssign,
    avoidBuggyIPs,
    ...alloc,
  });
}

/** Usable addresses of a pool in one family (avoidBuggyIPs subtracts IPv4 .0 and .255). */
export function poolCapacity(pool: IPPoolConfig, family: IPFamily): bigint {
  let total = 0n;
  for (const r of pool.ranges) {
    if (r.family !== family) continue;
    total += rangeSize(r) - (pool.avoidBuggyIPs ? countBuggy(r) : 0n);
  }
  return total;
}
