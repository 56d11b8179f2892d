import { compareIP, familyOfValidIP, parseIP, type IPFamily } from '@ironlb/shared';
import { sortCommunities, sortLargeCommunities } from './communities.js';
import type { FrrPeer, FrrPrefix } from './frr-plan.js';

/**
 * The per-prefix part of a node's frr.conf: `network` statements and the route-map entries that give each prefix
 * its peers and attributes. Everything else in frr.conf (sessions, timers, BFD, passwords) does not depend on the
 * prefixes, which is what lets the applier change prefixes with a few vtysh commands instead of a full reload.
 *
 * Prefixes are grouped in classes: prefixes that go to the same peers with the same attributes. A class is tagged
 * when it is originated (`network P route-map ironlb-tag-T`, which sets BGP tag T, a value local to this router
 * and never sent) and each peer's outbound route-map permits the tags of its classes (`match tag T`) and sets their
 * attributes. No prefix-lists: FRR 8.4 spends O(entries) per prefix-list change (~0.2 s per entry at 1,000
 * entries on a loaded machine), a `network` statement is cheap whatever the count.
 *
 * Invariants:
 * - T is a hash of the class (FNV-1a of its canonical key), so a class keeps its tag while classes come and go;
 *   collisions are resolved deterministically (keys in order, next free value), so the output is a function of
 *   the set of classes.
 * - A peer's outbound entries are ordered by tag, numbered from 1; every prefix is in exactly one class, so the
 *   order of the entries does not change what a peer receives.
 */

/** A route-map entry as rendered: `route-map NAME ACTION SEQ`, then its body lines (no indent), then `exit`. */
export interface FrrRouteMapEntry {
  name: string;
  action: 'permit' | 'deny';
  seq: number;
  body: readonly string[];
}

/** `network PREFIX route-map ROUTEMAP` in the address family of PREFIX. */
export interface FrrNetwork {
  family: IPFamily;
  prefix: string;
  routeMap: string;
}

export interface FrrPrefixPart {
  /** Sorted by family (IPv4 first), then prefix. */
  networks: readonly FrrNetwork[];
  /** The classes' tag maps (by tag), then every peer's permit entries (peers by address, entries by seq). */
  routeMaps: readonly FrrRouteMapEntry[];
}

/** What one peer attaches to a prefix. */
interface PeerAttributes {
  communities: string[];
  largeCommunities: string[];
  localPref: number | undefined;
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

export function compareAddress(a: string, b: string): number {
  const pa = parseIP(a);
  const pb = parseIP(b);
  if (pa && pb) return compareIP(pa, pb);
  return cmp(a, b);
}

export function comparePrefix(a: string, b: string): number {
  const [aa = '', al = '0'] = a.split('/');
  const [ba = '', bl = '0'] = b.split('/');
  return compareAddress(aa, ba) || Number(al) - Number(bl);
}

/** A route-map name for a peer: its address with ':' and '.' as '-'. */
export function outMap(address: string): string {
  return `ironlb-out-${address.replace(/[.:]/g, '-')}`;
}

export function tagMap(tag: number): string {
  return `ironlb-tag-${tag}`;
}

/**
 * One entry per prefix, sorted: a prefix listed twice (two advertisements, or two IPs aggregated into it)
 * carries the union of the communities and the highest local preference.
 */
export function mergeByPrefix(prefixes: readonly FrrPrefix[]): FrrPrefix[] {
  const byPrefix = new Map<string, FrrPrefix>();
  for (const x of prefixes) {
    const prev = byPrefix.get(x.prefix);
    if (!prev) {
      byPrefix.set(x.prefix, x);
      continue;
    }
    const prefs = [prev.localPref, x.localPref].filter((v) => v !== undefined);
    byPrefix.set(x.prefix, {
      prefix: x.prefix,
      communities: [...prev.communities, ...x.communities],
      largeCommunities: [...prev.largeCommunities, ...x.largeCommunities],
      localPref: prefs.length > 0 ? Math.max(...prefs) : undefined,
    });
  }
  return [...byPrefix.values()].sort((a, b) => comparePrefix(a.prefix, b.prefix));
}

/** FNV-1a, 32 bits, never 0 (FRR's tags are 1-4294967295). */
function hashTag(text: string): number {
  let h = 0x811c9dc5;
  for (const ch of new TextEncoder().encode(text)) {
    h ^= ch;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h === 0 ? 1 : h;
}

const nextTag = (t: number): number => (t >= 0xffffffff ? 1 : t + 1);

/** The per-prefix part of the configuration. */
export function frrPrefixPart(unsorted: readonly FrrPeer[]): FrrPrefixPart {
  const peers = [...unsorted].sort((a, b) => compareAddress(a.address, b.address));
  // prefix → (peer address → attributes), peers visited in address order so each key is canonical.
  const byPrefix = new Map<string, Map<string, PeerAttributes>>();
  for (const p of peers) {
    for (const x of mergeByPrefix(p.prefixes)) {
      const attrs = byPrefix.get(x.prefix) ?? new Map<string, PeerAttributes>();
      attrs.set(p.address, {
        communities: sortCommunities(x.communities),
        largeCommunities: sortLargeCommunities(x.largeCommunities),
        localPref: x.localPref,
      });
      byPrefix.set(x.prefix, attrs);
    }
  }
  const classes = new Map<string, Map<string, PeerAttributes>>();
  const classOf = new Map<string, string>();
  for (const [prefix, attrs] of byPrefix) {
    const key = JSON.stringify(
      [...attrs].map(([a, v]) => [a, v.communities, v.largeCommunities, v.localPref ?? null]),
    );
    classes.set(key, attrs);
    classOf.set(prefix, key);
  }
  const tags = new Map<string, number>();
  const used = new Set<number>();
  for (const key of [...classes.keys()].sort(cmp)) {
    let tag = hashTag(key);
    while (used.has(tag)) tag = nextTag(tag);
    used.add(tag);
    tags.set(key, tag);
  }
  const networks = [...byPrefix.keys()]
    .map((prefix) => ({
      family: familyOfValidIP(prefix),
      prefix,
      routeMap: tagMap(tags.get(classOf.get(prefix) ?? '') ?? 0),
    }))
    .sort((a, b) => cmp(a.family, b.family) || comparePrefix(a.prefix, b.prefix));
  const byTag = [...classes].map(([key, attrs]) => ({ tag: tags.get(key) ?? 0, attrs }));
  byTag.sort((a, b) => a.tag - b.tag);
  const routeMaps: FrrRouteMapEntry[] = byTag.map(({ tag }) => ({
    name: tagMap(tag),
    action: 'permit',
    seq: 1,
    body: [`set tag ${tag}`],
  }));
  for (const p of peers) {
    let seq = 0;
    for (const { tag, attrs } of byTag) {
      const a = attrs.get(p.address);
      if (a === undefined) continue;
      const body = [`match tag ${tag}`];
      if (a.communities.length > 0) body.push(`set community ${a.communities.join(' ')} additive`);
      if (a.largeCommunities.length > 0)
        body.push(`set large-community ${a.largeCommunities.join(' ')} additive`);
      if (a.localPref !== undefined) body.push(`set local-preference ${a.localPref}`);
      routeMaps.push({ name: outMap(p.address), action: 'permit', seq: ++seq, body });
    }
  }
  return { networks, routeMaps };
}
