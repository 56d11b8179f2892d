import { familyOfValidIP, type IPFamily } from '@ironlb/shared';
import { compareAddress, frrPrefixPart, outMap, type FrrPrefixPart } from './frr-classes.js';
import type { FrrBfdProfile, FrrPeer, FrrPlan } from './frr-plan.js';

/**
 * Renders a node's whole `frr.conf` (FRR 8.4 syntax) from its plan.
 *
 * Invariants:
 * - Pure and deterministic: the same plan, whatever the order of its lists, gives the same text (peers,
 *   prefixes, profiles and communities are sorted), so the applier reloads FRR only when something changed.
 * - A peer receives exactly its own prefixes: one outbound route-map per peer permits them (by the tag of their
 *   class, `frr-classes.ts`) and denies everything else; nothing is accepted from any peer (inbound route-map
 *   denies all).
 * - Every prefix any peer receives has a `network` statement; `no bgp network import-check` lets BGP originate it
 *   without a route in the kernel (the Service IP lives on no interface).
 * - Only the `network` statements and the route-map entries of `frrPrefixPart` depend on the prefixes: the rest
 *   of the text is `renderFrrConfig` of the plan without prefixes (`frr-change.ts` relies on it).
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
  const part = frrPrefixPart(peers);
  for (const family of ['IPv4', 'IPv6'] as const) out.push(...addressFamily(peers, part, family));
  out.push('exit', '!');
  out.push(`route-map ${IN_MAP} deny 1`, 'exit', '!');
  const entries = [
    ...part.routeMaps,
    // Explicit: a peer without prefixes still has a defined route-map that denies everything.
    ...peers.map((p) => ({ name: outMap(p.address), action: 'deny' as const, seq: 65535, body: [] })),
  ];
  const order = new Map(peers.map((p, i) => [outMap(p.address), i]));
  entries.sort((a, b) => (order.get(a.name) ?? -1) - (order.get(b.name) ?? -1) || a.seq - b.seq);
  for (const e of entries)
    out.push(`route-map ${e.name} ${e.action} ${e.seq}`, ...e.body.map((l) => ` ${l}`), 'exit', '!');
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

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Values are single FRR words: whoever builds the plan refuses others (a bug if one gets here). */
function checkPeer(p: FrrPeer): void {
  for (const v of [p.name, p.password ?? '', p.bfdProfile ?? ''])
    if (/\s/.test(v)) throw new Error(`peer ${p.address}: white space in a configuration value`);
}

/** The ASN most peers use locally (the smallest one on a tie); the others get `local-as`. */
export function mainAsn(peers: readonly FrrPeer[]): number {
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

function addressFamily(peers: readonly FrrPeer[], part: FrrPrefixPart, family: IPFamily): string[] {
  const members = peers.filter((p) => familyOfValidIP(p.address) === family);
  if (members.length === 0) return [];
  const lines = [' !', ` address-family ${family === 'IPv4' ? 'ipv4' : 'ipv6'} unicast`];
  for (const n of part.networks)
    if (n.family === family) lines.push(`  network ${n.prefix} route-map ${n.routeMap}`);
  for (const p of members) {
    lines.push(`  neighbor ${p.address} activate`);
    lines.push(`  neighbor ${p.address} route-map ${IN_MAP} in`);
    lines.push(`  neighbor ${p.address} route-map ${outMap(p.address)} out`);
  }
  lines.push(' exit-address-family');
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
