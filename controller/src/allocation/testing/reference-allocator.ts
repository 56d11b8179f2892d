import { type IPAddress, type IPFamily, compareIP, formatIP, parseIP } from '@ironlb/shared';
import type { AllocationRequest } from '../types.js';

/**
 * A brute-force reference allocator for property tests: the allocation rules written down as plainly as
 * possible, sharing no code with the allocator (no free trees, no pool state, no eligibility or sharing
 * helpers). Pools are enumerated address by address, so it only suits pools of a few addresses.
 *
 * Rules (docs/api.md):
 * - A pool may serve a Service when the Service names no other pool and the pool has no namespace list or
 *   lists the Service's namespace (the tests use no selectors).
 * - A pool is ready unless it shares an address with an older pool (same creation time: smaller name).
 * - Two Services may share an IP when both carry the same non-empty sharing key, use no common
 *   (protocol, port), and, when either is Local, both are Local with identical selectors.
 * - allocate keeps every held IP of a wanted family that is still in a pool that may serve it, matches the
 *   requested IP of its family (if any) and is shared only compatibly; a missing family gets the requested IP
 *   (when a ready pool offers it), else the lowest compatible IP already held under the sharing key, else the
 *   lowest free IP of the first ready, auto-assigning pool in priority order (unset last, then name).
 *   avoidBuggyIPs pools never hand out IPv4 .0/.255. Fewer families than needed: nothing changes.
 * - Changing pools takes away exactly the held IPs that no pool containing them may serve any more.
 */
export interface PoolSpec {
  readonly name: string;
  readonly addresses: readonly string[];
  readonly priority?: number;
  readonly namespaces?: readonly string[];
  readonly autoAssign?: boolean;
  readonly avoidBuggyIPs?: boolean;
}

interface ModelPool {
  readonly spec: PoolSpec;
  /** Every address of the pool, as "family value" keys. */
  readonly members: ReadonlySet<string>;
  /** Every address of the pool in address order. */
  readonly ordered: readonly IPAddress[];
}

const keyOf = (ip: IPAddress): string => `${ip.family} ${ip.value}`;
const other = (f: IPFamily): IPFamily => (f === 'IPv4' ? 'IPv6' : 'IPv4');

function mustParse(text: string): IPAddress {
  const ip = parseIP(text);
  if (ip === undefined) throw new Error(`bad IP ${text}`);
  return ip;
}

function enumerate(entry: string): IPAddress[] {
  let first: IPAddress;
  let last: bigint;
  if (entry.includes('-')) {
    const [a = '', b = ''] = entry.split('-');
    first = mustParse(a);
    last = mustParse(b).value;
  } else if (entry.includes('/')) {
    const [a = '', len = ''] = entry.split('/');
    first = mustParse(a);
    last = first.value + (1n << BigInt((first.family === 'IPv4' ? 32 : 128) - Number(len))) - 1n;
  } else {
    first = mustParse(entry);
    last = first.value;
  }
  const out: IPAddress[] = [];
  for (let v = first.value; v <= last; v++) out.push({ family: first.family, value: v });
  return out;
}

function modelPool(spec: PoolSpec): ModelPool {
  const all = spec.addresses.flatMap(enumerate).sort(compareIP);
  return { spec, members: new Set(all.map(keyOf)), ordered: all };
}

export function compatible(a: AllocationRequest, b: AllocationRequest): boolean {
  if (a.sharingKey === '' || a.sharingKey !== b.sharingKey) return false;
  if (a.ports.some((p) => b.ports.some((q) => p.protocol === q.protocol && p.port === q.port))) return false;
  if (a.externalTrafficPolicy === 'Cluster' && b.externalTrafficPolicy === 'Cluster') return true;
  const sel = (r: AllocationRequest): string => JSON.stringify(Object.entries(r.selector).sort());
  return a.externalTrafficPolicy === b.externalTrafficPolicy && sel(a) === sel(b);
}

/** Families to fill, in preference order, and how many of them are needed. */
function wantedFamilies(r: AllocationRequest): { families: IPFamily[]; minimum: number } {
  const first = r.families[0] ?? 'IPv4';
  const both = [first, r.families[1] ?? other(first)];
  if (r.requestedIPs.length > 0) {
    const fams = r.requestedIPs.map((ip) => ip.family);
    if (r.familyPolicy === 'RequireDualStack' && fams.length === 1) fams.push(other(fams[0] ?? first));
    return { families: fams, minimum: fams.length };
  }
  if (r.familyPolicy === 'SingleStack') return { families: [first], minimum: 1 };
  return { families: both, minimum: r.familyPolicy === 'RequireDualStack' ? 2 : 1 };
}

export class ReferenceAllocator {
  private pools: ModelPool[] = [];
  readonly requests = new Map<string, AllocationRequest>();
  /** Service key → held IPs, IPv4 first. */
  readonly held = new Map<string, IPAddress[]>();

  /** Replaces the pools; returns the Services that lost addresses and which ones. */
  setPools(specs: readonly PoolSpec[]): Map<string, string[]> {
    this.pools = specs.map(modelPool);
    const lost = new Map<string, string[]>();
    for (const [key, ips] of this.held) {
      const request = this.requests.get(key);
      if (request === undefined) continue;
      const gone = ips.filter((ip) => !this.mayKeep(ip, request));
      if (gone.length === 0) continue;
      lost.set(key, gone.map(formatIP));
      this.set(
        key,
        ips.filter((ip) => !gone.includes(ip)),
      );
    }
    return lost;
  }

  /** Allocates as the rules say; returns whether the Service got enough families. */
  allocate(key: string, request: AllocationRequest): boolean {
    const plan = wantedFamilies(request);
    const chosen = new Map<IPFamily, IPAddress>();
    for (const ip of this.held.get(key) ?? []) {
      const wanted = request.requestedIPs.find((r) => r.family === ip.family);
      const keep =
        plan.families.includes(ip.family) &&
        (wanted === undefined || keyOf(wanted) === keyOf(ip)) &&
        this.mayKeep(ip, request) &&
        this.sharesWell(key, ip, request);
      if (keep) chosen.set(ip.family, ip);
    }
    for (const family of plan.families) {
      if (chosen.has(family)) continue;
      const ip = this.choose(key, family, request);
      if (ip !== undefined) chosen.set(family, ip);
    }
    if (chosen.size < plan.minimum) return false;
    this.requests.set(key, request);
    this.set(key, [...chosen.values()]);
    return true;
  }

  release(key: string): void {
    this.held.delete(key);
    this.requests.delete(key);
  }

  private choose(key: string, family: IPFamily, request: AllocationRequest): IPAddress | undefined {
    const wanted = request.requestedIPs.find((r) => r.family === family);
    if (wanted !== undefined) {
      const offered = this.pools.some(
        (p) => this.ready(p) && this.hands(p, wanted) && this.serves(p, request),
      );
      return offered && this.sharesWell(key, wanted, request) ? wanted : undefined;
    }
    if (request.sharingKey !== '') {
      const underKey = [...this.held]
        .filter(([k]) => this.requests.get(k)?.sharingKey === request.sharingKey)
        .flatMap(([, ips]) => ips)
        .filter((ip) => ip.family === family)
        .sort(compareIP);
      const joinable = underKey.find(
        (ip) =>
          this.sharesWell(key, ip, request) &&
          this.pools.some((p) => this.autoServes(p, request) && this.hands(p, ip)),
      );
      if (joinable !== undefined) return joinable;
    }
    for (const p of [...this.pools].sort(byPriority)) {
      if (!this.autoServes(p, request)) continue;
      const free = p.ordered.find(
        (ip) => ip.family === family && this.hands(p, ip) && this.holders(ip).length === 0,
      );
      if (free !== undefined) return free;
    }
    return undefined;
  }

  private holders(ip: IPAddress): string[] {
    return [...this.held].filter(([, ips]) => ips.some((h) => keyOf(h) === keyOf(ip))).map(([k]) => k);
  }

  private sharesWell(key: string, ip: IPAddress, request: AllocationRequest): boolean {
    return this.holders(ip).every((k) => {
      const otherRequest = this.requests.get(k);
      return k === key || (otherRequest !== undefined && compatible(request, otherRequest));
    });
  }

  private mayKeep(ip: IPAddress, request: AllocationRequest): boolean {
    return this.pools.some((p) => p.members.has(keyOf(ip)) && this.serves(p, request));
  }

  private serves(p: ModelPool, request: AllocationRequest): boolean {
    if (request.pool !== undefined && request.pool !== p.spec.name) return false;
    const namespaces = p.spec.namespaces ?? [];
    return namespaces.length === 0 || namespaces.includes(request.namespace);
  }

  private autoServes(p: ModelPool, request: AllocationRequest): boolean {
    return (
      this.ready(p) &&
      (p.spec.autoAssign !== false || request.pool === p.spec.name) &&
      this.serves(p, request)
    );
  }

  /** In the pool and not an avoided IPv4 .0/.255. */
  private hands(p: ModelPool, ip: IPAddress): boolean {
    const low = Number(ip.value % 256n);
    const buggy = ip.family === 'IPv4' && (low === 0 || low === 255);
    return p.members.has(keyOf(ip)) && !(p.spec.avoidBuggyIPs === true && buggy);
  }

  private ready(p: ModelPool): boolean {
    return !this.pools.some(
      (o) => o.spec.name < p.spec.name && o.ordered.some((ip) => p.members.has(keyOf(ip))),
    );
  }

  private set(key: string, ips: IPAddress[]): void {
    if (ips.length === 0) this.held.delete(key);
    else this.held.set(key, [...ips].sort(compareIP));
  }
}

function byPriority(a: ModelPool, b: ModelPool): number {
  const pa = a.spec.priority ?? Number.POSITIVE_INFINITY;
  const pb = b.spec.priority ?? Number.POSITIVE_INFINITY;
  if (pa !== pb) return pa - pb;
  return a.spec.name < b.spec.name ? -1 : 1;
}
