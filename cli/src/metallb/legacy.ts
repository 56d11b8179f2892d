import { parse } from 'yaml';
import { fail, hasErrors, warn, type Findings } from './diagnostics.js';
import { isObj, readBool, readObjList, readString, warnUnknownFields, type Obj } from './fields.js';
import { readAddresses } from './ip-address-pool.js';
import {
  API_GROUP_VERSION,
  IPPOOL_KIND,
  L2_ANNOUNCEMENT_KIND,
  type IPPool,
  type L2Announcement,
} from '@ironlb/shared';
import type { ObjectMeta, Translated } from './translated.js';

/**
 * Pre-CRD MetalLB configuration: the `config` ConfigMap (MetalLB < 0.13) and the deprecated
 * `AddressPool` CRD. A layer2 pool becomes an IPPool plus an L2Announcement listing just that pool (the
 * layer2 protocol meant "announce this pool from every node"); bgp pools and peers are refused (see NO_BGP).
 */

/** BGP in the pre-CRD formats is not imported: MetalLB's own CRDs are (BGPPeer, BGPAdvertisement, ...). */
export const NO_BGP =
  "not translatable: ironlb imports BGP from MetalLB's BGPPeer, BGPAdvertisement, BFDProfile and Community objects, not from the legacy configuration";

interface LegacyPool {
  meta: ObjectMeta;
  raw: Obj;
  path: string;
  /** Field names of this format: camelCase in the AddressPool CRD, kebab-case in the ConfigMap. */
  keys: { autoAssign: string; avoidBuggyIPs: string };
}

function layer2Pool(f: Findings, o: LegacyPool): Translated[] {
  const addresses = readAddresses(f, { obj: o.raw, key: 'addresses', path: o.path });
  const pool: IPPool = {
    apiVersion: API_GROUP_VERSION,
    kind: IPPOOL_KIND,
    metadata: o.meta,
    spec: { addresses },
  };
  const autoAssign = readBool(f, { obj: o.raw, key: o.keys.autoAssign, path: o.path });
  if (autoAssign !== undefined) pool.spec.autoAssign = autoAssign;
  const avoidBuggyIPs = readBool(f, { obj: o.raw, key: o.keys.avoidBuggyIPs, path: o.path });
  if (avoidBuggyIPs !== undefined) pool.spec.avoidBuggyIPs = avoidBuggyIPs;
  const announcement: L2Announcement = {
    apiVersion: API_GROUP_VERSION,
    kind: L2_ANNOUNCEMENT_KIND,
    metadata: { name: o.meta.name },
    spec: { ipPools: [o.meta.name] },
  };
  return [
    { object: pool, comments: [] },
    {
      object: announcement,
      comments: [`Announces pool ${o.meta.name} from every node (MetalLB "protocol: layer2").`],
    },
  ];
}

function checkProtocol(f: Findings, o: { protocol: string | undefined; path: string }): void {
  if (o.protocol === 'layer2') return;
  if (o.protocol === 'bgp') fail(f, `${o.path}.protocol bgp is ${NO_BGP}`);
  else fail(f, `${o.path}.protocol must be layer2 or bgp, got ${JSON.stringify(o.protocol ?? null)}`);
}

/** The deprecated `AddressPool` CRD (metallb.io/v1beta1). */
export function translateAddressPool(f: Findings, o: { meta: ObjectMeta; spec: Obj }): Translated[] {
  warnUnknownFields(f, {
    obj: o.spec,
    path: 'spec',
    known: ['protocol', 'addresses', 'autoAssign', 'avoidBuggyIPs', 'bgpAdvertisements'],
  });
  checkProtocol(f, { protocol: readString(f, { obj: o.spec, key: 'protocol', path: 'spec' }), path: 'spec' });
  if (o.spec.bgpAdvertisements !== undefined) warn(f, `spec.bgpAdvertisements ignored: ${NO_BGP}`);
  const keys = { autoAssign: 'autoAssign', avoidBuggyIPs: 'avoidBuggyIPs' };
  return layer2Pool(f, { meta: o.meta, raw: o.spec, path: 'spec', keys });
}

/** True when a ConfigMap's `data.config` is MetalLB's legacy configuration. */
export function legacyConfig(data: unknown): Obj | undefined {
  if (!isObj(data) || typeof data.config !== 'string') return undefined;
  let parsed: unknown;
  try {
    parsed = parse(data.config);
  } catch {
    return undefined;
  }
  if (!isObj(parsed)) return undefined;
  const keys = ['address-pools', 'peers', 'bgp-communities', 'bfd-profiles'];
  return keys.some((k) => k in parsed) ? parsed : undefined;
}

/** One legacy pool with its own findings: pools are accepted or refused one by one. */
export interface LegacyUnit {
  findings: Findings;
  translated: Translated[];
}

/** `f` gets findings about the whole config; `sub(name)` makes the findings of pool `name`. */
export function translateLegacyConfig(
  f: Findings,
  o: { config: Obj; sub: (pool: string) => Findings },
): LegacyUnit[] {
  const path = 'data.config';
  warnUnknownFields(f, {
    obj: o.config,
    path,
    known: ['address-pools', 'peers', 'bgp-communities', 'bfd-profiles'],
  });
  for (const key of ['peers', 'bgp-communities', 'bfd-profiles']) {
    if (o.config[key] !== undefined) fail(f, `${path}.${key}: ${NO_BGP}`);
  }
  const pools = readObjList(f, { obj: o.config, key: 'address-pools', path }) ?? [];
  return pools.map((raw, i) => legacyPool(o.sub, { raw, path: `${path}.address-pools[${i}]`, index: i }));
}

function legacyPool(
  sub: (pool: string) => Findings,
  o: { raw: Obj; path: string; index: number },
): LegacyUnit {
  const { raw, path } = o;
  const name = typeof raw.name === 'string' && raw.name !== '' ? raw.name : undefined;
  const pf = sub(name ?? `#${o.index}`);
  if (name === undefined) fail(pf, `${path}.name is missing`);
  warnUnknownFields(pf, {
    obj: raw,
    path,
    known: ['name', 'protocol', 'addresses', 'auto-assign', 'avoid-buggy-ips', 'bgp-advertisements'],
  });
  checkProtocol(pf, { protocol: readString(pf, { obj: raw, key: 'protocol', path }), path });
  if (raw['bgp-advertisements'] !== undefined) warn(pf, `${path}.bgp-advertisements ignored: ${NO_BGP}`);
  const keys = { autoAssign: 'auto-assign', avoidBuggyIPs: 'avoid-buggy-ips' };
  const translated = layer2Pool(pf, { meta: { name: name ?? '' }, raw, path, keys });
  return { findings: pf, translated: hasErrors(pf) ? [] : translated };
}
