import { compareIP, familyOfValidIP, parseIP, type IPFamily } from '@ironlb/shared';
import { sortCommunities, sortLargeCommunities } from './communities.js';
import type { FrrBfdProfile, FrrPeer, FrrPlan, FrrPrefix } from './frr-plan.js';

/**
 * Renders a node's whole `frr.conf` (FRR 8.4 syntax) from its plan.
 *
 * Invariants:
 * - Pure and deterministic: the same plan, whatever the order of its lists, gives the same text (peers,
 *   prefixes, profiles and communities are sorted), so the applier reloads FRR only when something changed.
 * - A peer receives exactly its own prefixes: one outbound route-map per peer permits them (prefix-lists) and
 *   denies everything else; nothing is accepted from any peer (inbound route-map denies all).
 * - Every prefix any peer receives has a `network` statement; `no bgp network import-check` lets BGP originate it
 *   without a route in the kernel (the Service IP lives on no interface).
 * - Graceful restart is on, so a restart of FRR keeps the router's routes for the restart time (120 s), and
 *   `preserve-fw-state` sets the F-bit: a node forwards Service traffic with its kernel, not with anything FRR
 *   learns, so its forwarding state does survive, and without the F-bit the router drops the stale routes as soon
 *   as the restarted session opens, before they are advertised again (a gap in the router's routes). The
 *   RFC 8538 N-bit is off (`no bgp graceful-restart notification`; FRR 8.4 sets it by default): with it, a router
 *   whose hold timer expires (a dead node without BFD) would keep that node's routes as stale for the restart
 *   time instead of removing them. Without it, only a session closed without a NOTIFICATION (FRR stopping or
 *   restarting) is graceful.
 * - Sessions are only activated in the address family of the peer's address.
 * - No peers: no `router bgp` at all (FRR closes every session). FRR 8.4 deletes a graceful-restart instance
 *   without a NOTIFICATION, so a graceful-restart helper keeps its routes as stale for the restart time; a
 *   removed neighbor, in contrast, gets a Cease NOTIFICATION and loses its routes at once.
 */
export function renderFrrConfig(plan: FrrPlan): string {
  const peers = [...plan.peers].sort((a, b) => compareAddress(a.address, b.address));
  const out: string[] = [
    '! Rendered by the ironlb speaker from the cluster BGP configuration; changes made here are replaced.',
    '!',
  ];
  if (peers.length === 0) return `${out.join('\n')}\n`;
  for (const p of peers) checkPeer(p);
  const routerAsn = mainAsn(peers);
  out.push(`router bgp ${routerAsn}`);
  out.push(` bgp router-id ${plan.routerId}`);
  out.push(' no bgp default ipv4-unicast');
  out.push(' no bgp network import-check');
  out.push(' bgp graceful-restart');
  out.push(' bgp graceful-restart preserve-fw-state');
  out.push(' no bgp graceful-restart notification');
  for (const p of peers) out.push(...neighborLines(p, routerAsn));
  for (const family of ['IPv4', 'IPv6'] as const) out.push(...addressFamily(peers, family));
  out.push('exit', '!');
  for (const p of peers) out.push(...prefixLists(p));
  out.push(`route-map ${IN_MAP} deny 1`, 'exit', '!');
  for (const p of peers) out.push(...routeMap(p));
  const profiles = [...plan.bfdProfiles].sort((a, b) => cmp(a.name, b.name));
  if (profiles.length > 0) {
    out.push('bfd');
    for (const profile of profiles) out.push(...bfdProfile(profile));
    out.push('exit', '!');
  }
  return `${out.join('\n')}\n`;
}

/** Inbound route-map of every session: a speaker learns no routes. */
const IN_MAP = 'ironlb-deny-in';

/** A route-map / prefix-list name for a peer: its address with ':' and '.' as '-'. */
function peerTag(address: string): string {
  return address.replace(/[.:]/g, '-');
}

function outMap(p: Pick<FrrPeer, 'address'>): string {
  return `ironlb-out-${peerTag(p.address)}`;
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function compareAddress(a: string, b: string): number {
  const pa = parseIP(a);
  const pb = parseIP(b);
  if (pa && pb) return compareIP(pa, pb);
  return cmp(a, b);
}

function comparePrefix(a: string, b: string): number {
  const [aa = '', al = '0'] = a.split('/');
  const [ba = '', bl = '0'] = b.split('/');
  return compareAddress(aa, ba) || Number(al) - Number(bl);
}

/** Values are single FRR words: whoever builds the plan refuses others (a bug if one gets here). */
function checkPeer(p: FrrPeer): void {
  for (const v of [p.name, p.password ?? '', p.bfdProfile ?? ''])
    if (/\s/.test(v)) throw new Error(`peer ${p.address}: white space in a configuration value`);
}

/** The ASN most peers use locally (the smallest one on a tie); the others get `local-as`. */
function mainAsn(peers: readonly FrrPeer[]): number {
  const counts = new Map<number, number>();
  for (const p of peers) counts.set(p.localASN, (counts.get(p.localASN) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1] || a[0] - b[0])[0]?.[0] ?? 0;
}

function timers(p: FrrPeer): [number, number] | undefined {
  const { holdTimeSeconds: hold, keepaliveTimeSeconds: keepalive } = p;
  if (hold === undefined && keepalive === undefined) return undefined;
  const h = hold ?? (keepalive ?? 0) * 3;
  const k = keepalive ?? Math.floor(h / 3);
  return [k, h];
}

function neighborLines(p: FrrPeer, routerAsn: number): string[] {
  const n = ` neighbor ${p.address}`;
  const lines = [`${n} remote-as ${p.asn}`];
  if (p.localASN !== routerAsn) lines.push(`${n} local-as ${p.localASN} no-prepend replace-as`);
  lines.push(`${n} description ${p.name}`);
  if (p.port !== undefined && p.port !== 179) lines.push(`${n} port ${p.port}`);
  if (p.password !== undefined && p.password !== '') lines.push(`${n} password ${p.password}`);
  if (p.ebgpMultihop) lines.push(`${n} ebgp-multihop 255`);
  if (p.sourceAddress !== undefined) lines.push(`${n} update-source ${p.sourceAddress}`);
  const t = timers(p);
  if (t) lines.push(`${n} timers ${t[0]} ${t[1]}`);
  if (p.bfdProfile !== undefined) lines.push(`${n} bfd`, `${n} bfd profile ${p.bfdProfile}`);
  return lines;
}

function addressFamily(peers: readonly FrrPeer[], family: IPFamily): string[] {
  const members = peers.filter((p) => familyOfValidIP(p.address) === family);
  if (members.length === 0) return [];
  const networks = new Set<string>();
  for (const p of members) for (const x of p.prefixes) networks.add(x.prefix);
  const lines = [' !', ` address-family ${family === 'IPv4' ? 'ipv4' : 'ipv6'} unicast`];
  for (const net of [...networks].sort(comparePrefix)) lines.push(`  network ${net}`);
  for (const p of members) {
    lines.push(`  neighbor ${p.address} activate`);
    lines.push(`  neighbor ${p.address} route-map ${IN_MAP} in`);
    lines.push(`  neighbor ${p.address} route-map ${outMap(p)} out`);
  }
  lines.push(' exit-address-family');
  return lines;
}

/** Prefixes that carry the same attributes to a peer share one route-map entry. */
interface Group {
  communities: string[];
  largeCommunities: string[];
  localPref: number | undefined;
  prefixes: string[];
}

/** The peer's prefixes grouped by attributes, groups in the order of their first prefix. */
function groups(p: FrrPeer): Group[] {
  const byKey = new Map<string, Group>();
  const merged = mergeByPrefix(p.prefixes);
  for (const x of merged) {
    const g: Group = {
      communities: sortCommunities(x.communities),
      largeCommunities: sortLargeCommunities(x.largeCommunities),
      localPref: x.localPref,
      prefixes: [],
    };
    const key = JSON.stringify([g.communities, g.largeCommunities, g.localPref ?? null]);
    const existing = byKey.get(key) ?? g;
    existing.prefixes.push(x.prefix);
    byKey.set(key, existing);
  }
  return [...byKey.values()];
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

function prefixListName(p: FrrPeer, index: number): string {
  return `ironlb-${peerTag(p.address)}-${index + 1}`;
}

function prefixLists(p: FrrPeer): string[] {
  const ip = familyOfValidIP(p.address) === 'IPv4' ? 'ip' : 'ipv6';
  const lines: string[] = [];
  groups(p).forEach((g, i) => {
    g.prefixes.forEach((prefix, j) => {
      lines.push(`${ip} prefix-list ${prefixListName(p, i)} seq ${(j + 1) * 5} permit ${prefix}`);
    });
  });
  if (lines.length > 0) lines.push('!');
  return lines;
}

function routeMap(p: FrrPeer): string[] {
  const ip = familyOfValidIP(p.address) === 'IPv4' ? 'ip' : 'ipv6';
  const lines: string[] = [];
  groups(p).forEach((g, i) => {
    lines.push(`route-map ${outMap(p)} permit ${i + 1}`);
    lines.push(` match ${ip} address prefix-list ${prefixListName(p, i)}`);
    if (g.communities.length > 0) lines.push(` set community ${g.communities.join(' ')} additive`);
    if (g.largeCommunities.length > 0)
      lines.push(` set large-community ${g.largeCommunities.join(' ')} additive`);
    if (g.localPref !== undefined) lines.push(` set local-preference ${g.localPref}`);
    lines.push('exit', '!');
  });
  // Explicit: a peer without prefixes still has a defined route-map that denies everything.
  lines.push(`route-map ${outMap(p)} deny 65535`, 'exit', '!');
  return lines;
}

/** FRR's BFD defaults: a value equal to one is not printed by FRR, so it is not rendered either. */
const BFD_DEFAULTS = { detectMultiplier: 3, intervalMs: 300, echoIntervalMs: 50, minimumTtl: 254 } as const;

function bfdProfile(b: FrrBfdProfile): string[] {
  const set = <T>(v: T | undefined, def: T): v is T => v !== undefined && v !== def;
  const lines = [` profile ${b.name}`];
  if (set(b.detectMultiplier, BFD_DEFAULTS.detectMultiplier))
    lines.push(`  detect-multiplier ${b.detectMultiplier}`);
  if (set(b.receiveIntervalMs, BFD_DEFAULTS.intervalMs))
    lines.push(`  receive-interval ${b.receiveIntervalMs}`);
  if (set(b.transmitIntervalMs, BFD_DEFAULTS.intervalMs))
    lines.push(`  transmit-interval ${b.transmitIntervalMs}`);
  if (b.echoMode === true) lines.push('  echo-mode');
  if (set(b.echoIntervalMs, BFD_DEFAULTS.echoIntervalMs))
    lines.push(`  echo transmit-interval ${b.echoIntervalMs}`, `  echo receive-interval ${b.echoIntervalMs}`);
  if (b.passiveMode === true) lines.push('  passive-mode');
  if (set(b.minimumTtl, BFD_DEFAULTS.minimumTtl)) lines.push(`  minimum-ttl ${b.minimumTtl}`);
  lines.push(' exit', ' !');
  return lines;
}
