import { frrPrefixPart, type FrrNetwork, type FrrRouteMapEntry } from './frr-classes.js';
import { mainAsn, renderFrrConfig } from './frr-config.js';
import type { FrrPlan } from './frr-plan.js';

/**
 * How FRR gets from the configuration rendered for `before` to the one rendered for `after`.
 * - `unchanged`: the same text.
 * - `incremental`: only prefixes (and the route-map entries of their classes) differ; `commands` is one vtysh
 *   session (`configure terminal` … `end`) that turns the running configuration of `before` into exactly that
 *   of `after`.
 * - `structural`: anything else (peers, ASNs, router ID, passwords, timers, BFD, …): a full reload.
 */
export type FrrChange =
  | { kind: 'unchanged' }
  | { kind: 'incremental'; commands: string[]; added: number; removed: number; changed: number }
  | { kind: 'structural'; reason: string };

/**
 * Invariants:
 * - Pure; `before` and `after` are plans as rendered by `renderFrrConfig`, never text read back from FRR.
 * - Structural iff the texts rendered without any prefix differ (frr-config.ts: nothing else depends on them).
 * - Order of the commands, so that no prefix is ever originated without its route-maps: route-map entries that
 *   are new or changed first (a changed one is deleted and written again), then `no network` / `network`, then
 *   the entries nobody uses any more. A peer's outbound route-maps are re-evaluated by bgpd after the session's
 *   commands (route-map delay timer), so the moment an entry is rewritten is never seen by a peer.
 */
export function frrChange(before: FrrPlan | undefined, after: FrrPlan): FrrChange {
  if (before === undefined) return { kind: 'structural', reason: 'nothing applied yet' };
  if (renderFrrConfig(withoutPrefixes(before)) !== renderFrrConfig(withoutPrefixes(after)))
    return { kind: 'structural', reason: 'sessions, BFD profiles or router settings changed' };
  const old = frrPrefixPart(before.peers);
  const now = frrPrefixPart(after.peers);
  const oldEntries = new Map(old.routeMaps.map((e) => [entryKey(e), e]));
  const newEntries = new Map(now.routeMaps.map((e) => [entryKey(e), e]));
  const cmds: string[] = [];
  for (const [key, e] of newEntries) {
    const prev = oldEntries.get(key);
    if (prev !== undefined && sameBody(prev, e)) continue;
    if (prev !== undefined) cmds.push(`no route-map ${key}`);
    cmds.push(`route-map ${key}`, ...e.body, 'exit');
  }
  const nets = networkCommands(old.networks, now.networks);
  if (nets.lines.length > 0) cmds.push(`router bgp ${mainAsn(after.peers)}`, ...nets.lines, 'exit');
  for (const key of oldEntries.keys()) if (!newEntries.has(key)) cmds.push(`no route-map ${key}`);
  if (cmds.length === 0) return { kind: 'unchanged' };
  return {
    kind: 'incremental',
    commands: ['configure terminal', ...cmds, 'end'],
    added: nets.added,
    removed: nets.removed,
    changed: nets.changed,
  };
}

function withoutPrefixes(plan: FrrPlan): FrrPlan {
  return { ...plan, peers: plan.peers.map((p) => ({ ...p, prefixes: [] })) };
}

const entryKey = (e: FrrRouteMapEntry): string => `${e.name} ${e.action} ${e.seq}`;

function sameBody(a: FrrRouteMapEntry, b: FrrRouteMapEntry): boolean {
  return a.body.length === b.body.length && a.body.every((l, i) => l === b.body[i]);
}

/** Inside `router bgp`: per address family, withdrawals, then new prefixes and prefixes of another class. */
function networkCommands(
  before: readonly FrrNetwork[],
  after: readonly FrrNetwork[],
): { lines: string[]; added: number; removed: number; changed: number } {
  const old = new Map(before.map((n) => [n.prefix, n.routeMap]));
  const now = new Map(after.map((n) => [n.prefix, n.routeMap]));
  const lines: string[] = [];
  let added = 0;
  let removed = 0;
  let changed = 0;
  for (const family of ['IPv4', 'IPv6'] as const) {
    const body: string[] = [];
    for (const n of before)
      if (n.family === family && !now.has(n.prefix)) {
        body.push(`no network ${n.prefix}`);
        removed++;
      }
    for (const n of after) {
      if (n.family !== family) continue;
      const prev = old.get(n.prefix);
      if (prev === n.routeMap) continue;
      if (prev === undefined) added++;
      else changed++;
      body.push(`network ${n.prefix} route-map ${n.routeMap}`);
    }
    if (body.length === 0) continue;
    lines.push(
      `address-family ${family === 'IPv4' ? 'ipv4' : 'ipv6'} unicast`,
      ...body,
      'exit-address-family',
    );
  }
  return { lines, added, removed, changed };
}
