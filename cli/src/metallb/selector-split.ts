import { warn, type Findings } from './diagnostics.js';
import { readStringList, type Obj } from './fields.js';
import { combineSelectors, readSelectors } from './selectors.js';
import type { LabelSelector } from '@ironlb/shared';

/** Which pools one translated object covers: named pools, one pool selector, or (both absent) every pool. */
export interface PoolTarget {
  ipPools?: string[];
  ipPoolSelector?: LabelSelector;
}

/** One object to write: its name, the pools it covers and its node selector (undefined: every node). */
export interface SplitPart {
  readonly name: string;
  readonly target: PoolTarget;
  readonly node: LabelSelector | undefined;
}

/**
 * MetalLB ORs the entries of `ipAddressPools` / `ipAddressPoolSelectors` and of `nodeSelectors`; ironlb's objects
 * take one pool list or selector and one node selector. So a MetalLB advertisement becomes the product of its pool
 * targets and node selectors (selectors merged first where that is exact), named `<name>-<n>` when there are more
 * than one, with a warning naming `kind`. `allPools` is true when the advertisement names no pool at all.
 */
export function splitPoolsAndNodes(
  f: Findings,
  o: { spec: Obj; name: string; kind: string },
): { parts: SplitPart[]; allPools: boolean } {
  const pools = readStringList(f, { obj: o.spec, key: 'ipAddressPools', path: 'spec' }) ?? [];
  const poolSelectors = readSelectors(f, { obj: o.spec, key: 'ipAddressPoolSelectors', path: 'spec' });
  const nodeSelectors = readSelectors(f, { obj: o.spec, key: 'nodeSelectors', path: 'spec' });
  const targets: PoolTarget[] = [];
  if (pools.length > 0) targets.push({ ipPools: pools });
  for (const s of mergeOrSplit(poolSelectors)) targets.push({ ipPoolSelector: s });
  const allPools = targets.length === 0;
  if (allPools) targets.push({});
  const nodes: (LabelSelector | undefined)[] =
    nodeSelectors.length === 0 ? [undefined] : mergeOrSplit(nodeSelectors);
  const count = targets.length * nodes.length;
  if (count > 1) {
    warn(f, `split into ${count} ${o.kind}s (MetalLB ORs its pool and node selector lists)`);
  }
  const parts: SplitPart[] = [];
  for (const target of targets) {
    for (const node of nodes) {
      parts.push({ name: count === 1 ? o.name : `${o.name}-${parts.length + 1}`, target, node });
    }
  }
  return { parts, allPools };
}

/** One merged selector when that is exact, otherwise the list itself (one object each). */
function mergeOrSplit(list: LabelSelector[]): LabelSelector[] {
  if (list.length <= 1) return list;
  const merged = combineSelectors(list);
  return merged.ok ? [merged.value] : list;
}
