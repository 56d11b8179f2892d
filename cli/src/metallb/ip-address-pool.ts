import { normaliseAddress } from './addresses.js';
import { fail, type Findings } from './diagnostics.js';
import {
  fieldPath,
  readBool,
  readInt,
  readObj,
  readStringList,
  warnUnknownFields,
  type Obj,
} from './fields.js';
import { API_GROUP_VERSION, IPPOOL_KIND, type IPPool, type IPPoolSpec } from '@ironlb/shared';
import type { ObjectMeta } from './translated.js';
import { readSingleSelector } from './selectors.js';

/**
 * MetalLB `IPAddressPool` (metallb.io/v1beta1, namespaced) → ironlb `IPPool` (cluster-scoped, same name).
 * Returns undefined when the pool cannot be translated; the reasons are errors on `f`.
 */
export function translateIPAddressPool(f: Findings, o: { meta: ObjectMeta; spec: Obj }): IPPool | undefined {
  const { spec } = o;
  warnUnknownFields(f, {
    obj: spec,
    path: 'spec',
    known: ['addresses', 'autoAssign', 'avoidBuggyIPs', 'serviceAllocation'],
  });
  const addresses = readAddresses(f, { obj: spec, key: 'addresses', path: 'spec' });
  const pool: IPPool = {
    apiVersion: API_GROUP_VERSION,
    kind: IPPOOL_KIND,
    metadata: o.meta,
    spec: { addresses },
  };
  const autoAssign = readBool(f, { obj: spec, key: 'autoAssign', path: 'spec' });
  if (autoAssign !== undefined) pool.spec.autoAssign = autoAssign;
  const avoidBuggyIPs = readBool(f, { obj: spec, key: 'avoidBuggyIPs', path: 'spec' });
  if (avoidBuggyIPs !== undefined) pool.spec.avoidBuggyIPs = avoidBuggyIPs;
  const allocation = readObj(f, { obj: spec, key: 'serviceAllocation', path: 'spec' });
  if (allocation !== undefined) {
    const translated = translateServiceAllocation(f, allocation);
    if (Object.keys(translated).length > 0) pool.spec.serviceAllocation = translated;
  }
  return pool;
}

/** Every entry normalised; a pool with a bad or no address is refused rather than narrowed. */
export function readAddresses(f: Findings, field: { obj: Obj; key: string; path: string }): string[] {
  const where = fieldPath(field);
  const raw = readStringList(f, field);
  // A wrongly typed field was already reported by readStringList.
  const absent = field.obj[field.key] === undefined || field.obj[field.key] === null;
  if (raw === undefined || raw.length === 0) {
    if (raw !== undefined || absent) fail(f, `${where} is missing or empty`);
    return [];
  }
  const out: string[] = [];
  for (const [i, entry] of raw.entries()) {
    const normalised = normaliseAddress(entry);
    if (normalised.ok) out.push(normalised.value);
    else fail(f, `${where}[${i}]: ${normalised.error}`);
  }
  return out;
}

type ServiceAllocation = NonNullable<IPPoolSpec['serviceAllocation']>;

function translateServiceAllocation(f: Findings, raw: Obj): ServiceAllocation {
  const path = 'spec.serviceAllocation';
  warnUnknownFields(f, {
    obj: raw,
    path,
    known: ['priority', 'namespaces', 'namespaceSelectors', 'serviceSelectors'],
  });
  const out: ServiceAllocation = {};
  const priority = readInt(f, { obj: raw, key: 'priority', path });
  if (priority !== undefined) out.priority = priority;
  const namespaces = readStringList(f, { obj: raw, key: 'namespaces', path });
  if (namespaces !== undefined && namespaces.length > 0) out.namespaces = namespaces;
  const nsSelector = readSingleSelector(f, {
    obj: raw,
    key: 'namespaceSelectors',
    path,
    target: 'serviceAllocation.namespaceSelector',
  });
  if (nsSelector !== undefined) out.namespaceSelector = nsSelector;
  const svcSelector = readSingleSelector(f, {
    obj: raw,
    key: 'serviceSelectors',
    path,
    target: 'serviceAllocation.serviceSelector',
  });
  if (svcSelector !== undefined) out.serviceSelector = svcSelector;
  return out;
}
