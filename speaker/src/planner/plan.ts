import {
  comparePoolAge,
  announcementCoversNode,
  announcementCoversPool,
  parseIP,
  type IPPoolConfig,
  type L2AnnouncementConfig,
} from '@ironlb/shared';
import { PlanMemo } from './plan-memo.js';
import { explainNodes, type AnnouncementFacts, type IpFacts, type NodeFacts } from '../eligibility/index.js';
import type { InterfaceChoice, IpPlan, PlanInput, ServiceRef, ServiceView } from './types.js';

/**
 * Computes, for every IP found in Service status, which node announces it and why the others do not.
 *
 * Invariants:
 * - Pure and deterministic: every speaker given the same input elects the same announcer for every IP,
 *   so a shared IP has exactly one announcer and no API writes are needed to agree.
 * - Election is per IP, not per Service: Services sharing an IP are considered together (ETP Local is
 *   satisfied by a local endpoint of any of them).
 * - An IP outside every IPPool belongs to someone else and is never announced.
 */
export function planAnnouncements(input: PlanInput, memo = new PlanMemo()): IpPlan[] {
  const byIp = groupByIp(input.services);
  // Oldest pool first, as the controller does when pools overlap (the newer one is not Ready).
  const pools = [...input.pools].sort(comparePoolAge);
  memo.prepare({ nodes: input.nodes.map((n) => n.name), pools });
  const coverage = new Map<string, PoolCoverage>();
  const plans: IpPlan[] = [];
  for (const [ip, services] of byIp) plans.push(planIp({ ip, services, input, memo, coverage }));
  return plans.sort((a, b) => (a.ip < b.ip ? -1 : a.ip > b.ip ? 1 : 0));
}

/** What the L2Announcements say about one pool: the same for every IP in it, so computed once per plan. */
interface PoolCoverage {
  names: readonly string[];
  facts: readonly AnnouncementFacts[];
}

function coverageOf(pool: IPPoolConfig, input: PlanInput): PoolCoverage {
  const covering = input.announcements.filter((a) =>
    announcementCoversPool(a, { name: pool.name, labels: pool.labels }),
  );
  return {
    names: covering.map((a) => a.name),
    facts: covering.map((a) => ({
      name: a.name,
      nodeSelector: (labels) => announcementCoversNode(a, labels),
    })),
  };
}

function planIp(args: {
  ip: string;
  services: ServiceView[];
  input: PlanInput;
  memo: PlanMemo;
  coverage: Map<string, PoolCoverage>;
}): IpPlan {
  const { ip, services, input, memo } = args;
  const refs: ServiceRef[] = services.map((s) => ({ namespace: s.namespace, name: s.name, uid: s.uid }));
  const pool = memo.poolOf(ip);
  if (!pool)
    return { ip, pool: null, services: refs, announcer: null, candidates: [], announcements: [], nodes: [] };
  let coverage = args.coverage.get(pool.name);
  if (!coverage) {
    coverage = coverageOf(pool, input);
    args.coverage.set(pool.name, coverage);
  }
  // A ServiceView is a ServiceFacts (and more): no per-IP copy.
  const facts: IpFacts = { ip, announcements: coverage.facts, services };
  const nodes = explainNodes({ ip: facts, nodes: input.nodes, aliveSpeakers: input.alive });
  const ranking = memo.ranking(ip);
  const eligible = new Set(nodes.filter((n) => n.ineligible === null).map((n) => n.node));
  // Every node eligible (the common case): the ranking itself, shared with the memo (both are read-only).
  const candidates = eligible.size === ranking.length ? ranking : ranking.filter((n) => eligible.has(n));
  return {
    ip,
    pool: pool.name,
    services: refs,
    // The first eligible node in the IP's ranking: the same as electAnnouncer(ip, eligible).
    announcer: candidates[0] ?? null,
    candidates,
    announcements: coverage.names,
    nodes,
  };
}

/** Interfaces a node announces an IP on: the union over the covering L2Announcements that select it. */
export function interfacesFor(args: {
  plan: IpPlan;
  node: NodeFacts;
  announcements: readonly L2AnnouncementConfig[];
}): InterfaceChoice {
  const named = new Set<string>();
  let useDefault = false;
  for (const a of args.announcements) {
    if (!args.plan.announcements.includes(a.name)) continue;
    if (!announcementCoversNode(a, args.node.labels)) continue;
    if (a.interfaces.length === 0) useDefault = true;
    for (const i of a.interfaces) named.add(i);
  }
  return { named: [...named].sort(), useDefault };
}

function groupByIp(services: readonly ServiceView[]): Map<string, ServiceView[]> {
  const byIp = new Map<string, ServiceView[]>();
  for (const s of services) {
    for (const raw of new Set(s.ips)) {
      const parsed = parseIP(raw);
      if (!parsed) continue;
      const list = byIp.get(raw) ?? [];
      list.push(s);
      byIp.set(raw, list);
    }
  }
  return byIp;
}
