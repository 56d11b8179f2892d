import {
  compareIP,
  comparePoolAge,
  familyOfValidIP,
  formatIP,
  hostMask,
  matchesLabelSelector,
  parseIP,
  rangesContain,
  type IPAddress,
  type IPPoolConfig,
} from '@ironlb/shared';
import { serviceHasLocalEndpoint, whyNotEligible, type NodeFacts } from '../eligibility/index.js';
import type { ServiceView } from '../planner/index.js';
import type { FrrPrefix } from './frr-plan.js';
import type {
  AdvertiseInput,
  AdvertisePlan,
  BgpAdvertisementFacts,
  BgpPeerFacts,
  IpAdvertisement,
  NotAdvertised,
  PeerAdvertisement,
} from './types.js';

/**
 * Which IPs this node advertises to which of its BGP peers, and why it does not advertise the others.
 *
 * Invariants:
 * - Pure: the verdict depends only on the input; there is no election (every eligible node advertises, the
 *   router spreads flows over them).
 * - An IP is advertised by this node when, in this order: a BGPAdvertisement covers its pool, one of those
 *   selects this node, the node passes the L2 eligibility checks (Ready, not excluded, network available, and
 *   for externalTrafficPolicy Local a ready endpoint here, `speaker/src/eligibility`), and some peer of this
 *   node of the IP's family is named by (or, with no names, allowed by) one of those advertisements.
 * - A peer receives an IP only through an advertisement that covers the pool, selects this node and names
 *   the peer (or names none); an IP outside every pool is someone else's and never appears.
 */
export function planAdvertisements(input: AdvertiseInput): AdvertisePlan {
  const self = input.self;
  const sessions = self ? input.peers.filter((p) => selects(p.nodeSelector, self)) : [];
  const prefixes = new Map<string, FrrPrefix[]>(sessions.map((p) => [p.name, []]));
  const pools = [...input.pools].sort(comparePoolAge);
  const ips: IpAdvertisement[] = [];
  const grouped = [...groupByIp(input.services)].sort(([a], [b]) => compareIP(a, b));
  for (const [ip, services] of grouped) {
    const pool = pools.find((p) => rangesContain(p.ranges, ip));
    if (!pool) continue;
    const verdict = advertiseIp({ ip, pool, services, self, sessions, advertisements: input.advertisements });
    ips.push(verdict.ip);
    for (const [peer, prefix] of verdict.to) prefixes.get(peer)?.push(prefix);
  }
  const out: PeerAdvertisement[] = sessions
    .map((peer) => ({ peer, prefixes: prefixes.get(peer.name) ?? [] }))
    .sort((a, b) => (a.peer.name < b.peer.name ? -1 : a.peer.name > b.peer.name ? 1 : 0));
  return { sessions: out, ips };
}

interface IpArgs {
  ip: IPAddress;
  pool: IPPoolConfig;
  services: readonly ServiceView[];
  self: NodeFacts | undefined;
  sessions: readonly BgpPeerFacts[];
  advertisements: readonly BgpAdvertisementFacts[];
}

/** What one check leaves for the next: the advertisements still in play. */
interface CheckState extends IpArgs {
  text: string;
  covering: readonly BgpAdvertisementFacts[];
}

type Check = (s: CheckState) => NotAdvertised | null;

const hasAdvertisement: Check = ({ covering, text, pool }) =>
  covering.length > 0
    ? null
    : {
        reason: 'NoBGPAdvertisement',
        message: `no BGPAdvertisement covers pool ${pool.name} of ${text}`,
        everyNode: true,
      };

/** The L2 checks (node selected, Ready, not excluded, network available, ETP Local endpoint), minus election. */
const nodeEligible: Check = ({ covering, self, services, text }) => {
  if (!self)
    return { reason: 'NodeNotReady', message: `this node's Node object is not known yet`, everyNode: false };
  const verdict = whyNotEligible({
    ip: text,
    node: self,
    speakerAlive: true,
    announcements: covering.map((a) => ({
      name: a.name,
      nodeSelector: (labels) => a.nodeSelector === undefined || matchesLabelSelector(a.nodeSelector, labels),
    })),
    services: services.map((s) => ({
      namespace: s.namespace,
      name: s.name,
      externalTrafficPolicy: s.externalTrafficPolicy,
      endpoints: s.endpoints,
    })),
  });
  if (verdict === null) return null;
  if (verdict.reason === 'SpeakerNotAlive' || verdict.reason === 'NoL2Announcement')
    throw new Error(`unexpected eligibility verdict ${verdict.reason} for a BGP advertisement`);
  if (verdict.reason === 'NoLocalEndpoints' && !services.some(hasLocalEndpointSomewhere)) {
    const names = services.map((s) => `${s.namespace}/${s.name}`).join(', ');
    return {
      reason: 'NoLocalEndpoints',
      message: `externalTrafficPolicy Local and no node has a ready endpoint of ${names} for ${text}`,
      everyNode: true,
    };
  }
  return { reason: verdict.reason, message: verdict.message, everyNode: false };
};

/** Some node qualifies for the Service under the ETP Local rule (only nodes that hold endpoints can). */
function hasLocalEndpointSomewhere(s: ServiceView): boolean {
  return s.endpoints.some((e) => typeof e.nodeName === 'string' && serviceHasLocalEndpoint(s, e.nodeName));
}

const hasPeer: Check = (s) => {
  if (peersFor(s).length > 0) return null;
  const names = s.covering.map((a) => a.name).join(', ');
  return {
    reason: 'NoBGPPeer',
    message: `no ${s.ip.family} BGP session of this node is a peer of ${names} for ${s.text}`,
    everyNode: false,
  };
};

/** Evaluated in this order; the first failing check is the reason. */
export const ADVERTISE_CHECKS: readonly Check[] = [hasAdvertisement, nodeEligible, hasPeer];

function advertiseIp(args: IpArgs): { ip: IpAdvertisement; to: [string, FrrPrefix][] } {
  const text = formatIP(args.ip);
  const covering = args.advertisements.filter((a) => coversPool(a, args.pool));
  const state: CheckState = { ...args, text, covering };
  const services = args.services.map((s) => ({ namespace: s.namespace, name: s.name, uid: s.uid }));
  const base = { ip: text, pool: args.pool.name, services };
  for (const check of ADVERTISE_CHECKS) {
    const notAdvertised = check(state);
    if (notAdvertised) return { ip: { ...base, peers: [], notAdvertised }, to: [] };
  }
  const to = peersFor(state).map(([peer, ad]): [string, FrrPrefix] => [peer.name, prefixOf(args.ip, ad)]);
  const peers = [...new Set(to.map(([p]) => p))].sort();
  return { ip: { ...base, peers, notAdvertised: null }, to };
}

/** (peer, advertisement) pairs carrying the IP: advertisements that select this node, sessions they name. */
function peersFor(s: CheckState): [BgpPeerFacts, BgpAdvertisementFacts][] {
  const self = s.self;
  if (!self) return [];
  const out: [BgpPeerFacts, BgpAdvertisementFacts][] = [];
  for (const ad of s.covering) {
    if (!selects(ad.nodeSelector, self)) continue;
    for (const peer of s.sessions) {
      if (familyOfValidIP(peer.address) !== s.ip.family) continue;
      if (ad.peers.length === 0 || ad.peers.includes(peer.name)) out.push([peer, ad]);
    }
  }
  return out;
}

function selects(selector: BgpPeerFacts['nodeSelector'], node: NodeFacts): boolean {
  return selector === undefined || matchesLabelSelector(selector, node.labels);
}

function coversPool(ad: BgpAdvertisementFacts, pool: Pick<IPPoolConfig, 'name' | 'labels'>): boolean {
  if (ad.ipPools.length === 0 && ad.ipPoolSelector === undefined) return true;
  if (ad.ipPools.includes(pool.name)) return true;
  return ad.ipPoolSelector !== undefined && matchesLabelSelector(ad.ipPoolSelector, pool.labels);
}

/** The prefix an advertisement announces for an IP: the IP with the host bits of its aggregation length cleared. */
function prefixOf(ip: IPAddress, ad: BgpAdvertisementFacts): FrrPrefix {
  const length = ip.family === 'IPv4' ? (ad.aggregationLength ?? 32) : (ad.aggregationLengthV6 ?? 128);
  const base = formatIP({ family: ip.family, value: ip.value & ~hostMask(ip.family, length) });
  return {
    prefix: `${base}/${length}`,
    communities: ad.communities,
    largeCommunities: ad.largeCommunities,
    localPref: ad.localPref,
  };
}

function groupByIp(services: readonly ServiceView[]): Map<IPAddress, ServiceView[]> {
  const byText = new Map<string, { ip: IPAddress; services: ServiceView[] }>();
  for (const s of services)
    for (const raw of new Set(s.ips)) {
      const ip = parseIP(raw);
      if (!ip) continue;
      const key = formatIP(ip);
      const entry = byText.get(key) ?? { ip, services: [] };
      entry.services.push(s);
      byText.set(key, entry);
    }
  return new Map([...byText.values()].map((e) => [e.ip, e.services]));
}
