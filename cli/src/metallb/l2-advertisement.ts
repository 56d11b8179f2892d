import type { Findings } from './diagnostics.js';
import { readStringList, warnUnknownFields, type Obj } from './fields.js';
import { API_GROUP_VERSION, L2_ANNOUNCEMENT_KIND, type L2Announcement } from '@ironlb/shared';
import type { ObjectMeta, Translated } from './translated.js';
import { splitPoolsAndNodes } from './selector-split.js';

const ALL_POOLS_COMMENT: readonly string[] = [
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
  const interfaces = readStringList(f, { obj: spec, key: 'interfaces', path: 'spec' }) ?? [];
  const { parts, allPools } = splitPoolsAndNodes(f, { spec, name: o.meta.name, kind: 'L2Announcement' });
  const out: Translated[] = [];
  for (const { name, target, node } of parts) {
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
  return out;
}
