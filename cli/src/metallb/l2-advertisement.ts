import { warn, type Findings } from './diagnostics.js';
import { readStringList, warnUnknownFields, type Obj } from './fields.js';
import {
  API_GROUP_VERSION,
  L2_ANNOUNCEMENT_KIND,
  type L2Announcement,
  type LabelSelector,
} from '@ironlb/shared';
import type { ObjectMeta, Translated } from './translated.js';
import { combineSelectors, readSelectors } from './selectors.js';

type PoolTarget = Pick<L2Announcement['spec'], 'ipPools' | 'ipPoolSelector'>;

export const ALL_POOLS_COMMENT: readonly string[] = [
  'Selects ALL IPPools: an L2Announcement with neither ipPools nor ipPoolSelector matches every pool,',
  'as a MetalLB L2Advertisement without ipAddressPools and ipAddressPoolSelectors does.',
];

/**
 * MetalLB `L2Advertisement` → one or more ironlb `L2Announcement`s.
 *
 * MetalLB ORs its list fields: an IP is advertised when its pool is listed in ipAddressPools OR matches
 * any ipAddressPoolSelector, from nodes matching any nodeSelector. ironlb has single selectors, but
 * announcements for the same pool add up, so a list that cannot be merged into one selector is split:
 * one announcement per (pool target × node selector), named `<name>-1`, `<name>-2`, ... This keeps the
 * meaning exactly; nothing here is refused.
 */
export function translateL2Advertisement(f: Findings, o: { meta: ObjectMeta; spec: Obj }): Translated[] {
  const { spec } = o;
  warnUnknownFields(f, {
    obj: spec,
    path: 'spec',
    known: ['ipAddressPools', 'ipAddressPoolSelectors', 'nodeSelectors', 'interfaces'],
  });
  const pools = readStringList(f, { obj: spec, key: 'ipAddressPools', path: 'spec' }) ?? [];
  const poolSelectors = readSelectors(f, { obj: spec, key: 'ipAddressPoolSelectors', path: 'spec' });
  const nodeSelectors = readSelectors(f, { obj: spec, key: 'nodeSelectors', path: 'spec' });
  const interfaces = readStringList(f, { obj: spec, key: 'interfaces', path: 'spec' }) ?? [];

  const targets: PoolTarget[] = [];
  if (pools.length > 0) targets.push({ ipPools: pools });
  for (const s of mergeOrSplit(poolSelectors)) targets.push({ ipPoolSelector: s });
  const allPools = targets.length === 0;
  if (allPools) targets.push({});
  const nodes: (LabelSelector | undefined)[] =
    nodeSelectors.length === 0 ? [undefined] : mergeOrSplit(nodeSelectors);

  const count = targets.length * nodes.length;
  if (count > 1) {
    warn(f, `split into ${count} L2Announcements (MetalLB ORs its pool and node selector lists)`);
  }
  const out: Translated[] = [];
  for (const target of targets) {
    for (const node of nodes) {
      const name = count === 1 ? o.meta.name : `${o.meta.name}-${out.length + 1}`;
      const announcement: L2Announcement = {
        apiVersion: API_GROUP_VERSION,
        kind: L2_ANNOUNCEMENT_KIND,
        metadata: { ...o.meta, name },
        spec: { ...target },
      };
      if (node !== undefined) announcement.spec.nodeSelector = node;
      if (interfaces.length > 0) announcement.spec.interfaces = interfaces;
      out.push({ object: announcement, comments: allPools ? [...ALL_POOLS_COMMENT] : [] });
    }
  }
  return out;
}

/** One merged selector when that is exact, otherwise the list itself (one announcement each). */
export function mergeOrSplit(list: LabelSelector[]): LabelSelector[] {
  if (list.length <= 1) return list;
  const merged = combineSelectors(list);
  return merged.ok ? [merged.value] : list;
}
