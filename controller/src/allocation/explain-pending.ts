import { type IPAddress, type IPFamily, formatIP, isBuggyIP } from '@ironlb/shared';
import { poolAutoServes, poolMayServe } from './eligibility.js';
import { type FamilyPlan, familyPlan } from './family-plan.js';
import type { ServiceRequestResult } from './service-request.js';
import { sharingConflict } from './sharing.js';
import type { AllocationRequest } from './types.js';
import type { AllocatorView, PoolView } from './view.js';
import { type PendingReason, eventReason } from './pending-reason.js';

export interface PendingContext {
  readonly request: AllocationRequest;
  readonly serviceKey: string;
  readonly view: AllocatorView;
}

type PendingCheck = (ctx: PendingContext) => PendingReason | null;

/** Why this family cannot get an automatic address, or null when this test does not stop it. */
type FamilyTest = (ctx: PendingContext, family: IPFamily) => PendingReason | null;

const who = (r: AllocationRequest): string => `namespace ${r.namespace} (Service ${r.namespace}/${r.name})`;

/** Families that still need an automatic address (no requested IP for them). */
function autoFamilies(ctx: PendingContext): { plan: FamilyPlan; families: IPFamily[] } {
  const plan = familyPlan(ctx.request);
  const requested = new Set(ctx.request.requestedIPs.map((ip) => ip.family));
  return { plan, families: plan.families.filter((f) => !requested.has(f)) };
}

/**
 * Runs the per-family tests over the families needing an automatic address. A family passes only when it
 * passes every test (one family failing one test and the other family another is still pending). When too few
 * pass for the plan (PreferDualStack needs one, RequireDualStack both), reports the failure of the earliest
 * test, first family first.
 */
function familyCheck(ctx: PendingContext, tests: readonly FamilyTest[]): PendingReason | null {
  const { plan, families } = autoFamilies(ctx);
  const failures: { test: number; reason: PendingReason }[] = [];
  for (const f of families) {
    for (const [test, run] of tests.entries()) {
      const reason = run(ctx, f);
      if (reason === null) continue;
      failures.push({ test, reason });
      break;
    }
  }
  if (plan.families.length - failures.length >= plan.minimum) return null;
  return [...failures].sort((a, b) => a.test - b.test)[0]?.reason ?? null;
}

const noPools: PendingCheck = ({ view }) =>
  view.poolsInOrder.length === 0 ? eventReason('NoPools', 'no IPPool exists') : null;

const explicitPool: PendingCheck = ({ request, view }) => {
  if (request.pool === undefined) return null;
  const pool = view.poolsInOrder.find((p) => p.config.name === request.pool);
  if (pool === undefined)
    return eventReason('PoolNotFound', `requested IPPool ${request.pool} does not exist`);
  if (poolMayServe(pool.config, request)) return null;
  return eventReason(
    'PoolNotServing',
    `requested IPPool ${request.pool} does not serve ${who(request)} or its labels`,
  );
};

const familyAvailable: FamilyTest = (ctx, f) =>
  ctx.view.poolsInOrder.some((p) => p.hasFamily(f))
    ? null
    : eventReason('NoPoolForFamily', `no IPPool has ${f} addresses`);

function requestedIPPoolProblem(ctx: PendingContext, ip: IPAddress): PendingReason | null {
  const { request, view } = ctx;
  const text = formatIP(ip);
  const containing = view.poolsInOrder.filter((p) => p.contains(ip));
  if (containing.length === 0) return eventReason('IPNotInPool', `requested IP ${text} is not in any IPPool`);
  const serving = containing.filter((p) => poolMayServe(p.config, request));
  const names = (ps: readonly PoolView[]): string => ps.map((p) => p.config.name).join(', ');
  if (serving.length === 0) {
    return eventReason(
      'IPPoolNotServing',
      `requested IP ${text} is in IPPool ${names(containing)}, which does not serve ${who(request)}`,
    );
  }
  const ready = serving.filter((p) => view.readinessOf(p.config.name)?.ready !== false);
  if (ready.length === 0) {
    const why = view.readinessOf(serving[0]?.config.name ?? '')?.message ?? '';
    return eventReason(
      'PoolNotReady',
      `requested IP ${text} is in IPPool ${names(serving)}, not ready: ${why}`,
    );
  }
  if (!ready.some((p) => p.offers(ip)) && isBuggyIP(ip)) {
    return eventReason(
      'IPAvoided',
      `requested IP ${text} ends in .0 or .255 and IPPool ${names(ready)} sets avoidBuggyIPs`,
    );
  }
  return null;
}

function requestedIPHolderProblem(ctx: PendingContext, ip: IPAddress): PendingReason | null {
  for (const h of ctx.view.holdersOf(ip)) {
    if (h.serviceKey === ctx.serviceKey) continue;
    const conflict = sharingConflict(ctx.request, h.request);
    if (conflict !== null) {
      return eventReason('IPInUse', `requested IP ${formatIP(ip)} is held by ${h.serviceKey}: ${conflict}`);
    }
  }
  return null;
}

function requestedIPProblem(ctx: PendingContext, ip: IPAddress): PendingReason | null {
  return requestedIPPoolProblem(ctx, ip) ?? requestedIPHolderProblem(ctx, ip);
}

const requestedIPs: PendingCheck = (ctx) => {
  for (const ip of ctx.request.requestedIPs) {
    const problem = requestedIPProblem(ctx, ip);
    if (problem !== null) return problem;
  }
  return null;
};

function describeScope(p: PoolView): string {
  const c = p.config;
  if (!c.autoAssign) return `${c.name} (autoAssign false)`;
  if (c.namespaces.length > 0) return `${c.name} (namespaces ${c.namespaces.join(', ')})`;
  return `${c.name} (selectors)`;
}

const somePoolServes: FamilyTest = (ctx, f) => {
  const withFamily = ctx.view.poolsInOrder.filter((p) => p.hasFamily(f));
  const eligible = withFamily.filter(
    (p) => poolMayServe(p.config, ctx.request) && (p.config.autoAssign || ctx.request.pool === p.config.name),
  );
  if (eligible.length > 0) return null;
  const considered = withFamily.map(describeScope).join(', ');
  return eventReason(
    'NoPoolServes',
    `no ${f} IPPool serves ${who(ctx.request)} with its labels; pools: ${considered}`,
  );
};

const readyPoolServes: FamilyTest = (ctx, f) => {
  const serving = ctx.view.poolsInOrder.filter((p) => p.hasFamily(f) && poolMayServe(p.config, ctx.request));
  const ready = serving.filter((p) =>
    poolAutoServes(p.config, { readiness: ctx.view.readinessOf(p.config.name), request: ctx.request }),
  );
  if (ready.length > 0 || serving.length === 0) return null;
  const first = serving[0]?.config.name ?? '';
  return eventReason(
    'PoolNotReady',
    `IPPool ${first} would serve this Service but is not ready: ${ctx.view.readinessOf(first)?.message ?? ''}`,
  );
};

const capacityLeft: FamilyTest = (ctx, f) => {
  const serving = ctx.view.poolsInOrder.filter(
    (p) =>
      p.hasFamily(f) &&
      poolAutoServes(p.config, { readiness: ctx.view.readinessOf(p.config.name), request: ctx.request }),
  );
  if (serving.length === 0 || serving.some((p) => p.lowestFree(f) !== undefined)) return null;
  const full = serving.map((p) => {
    const s = p.stats(f);
    return `${p.config.name} exhausted (${s.assigned} of ${s.capacity} ${f} addresses assigned)`;
  });
  return eventReason(
    'PoolsExhausted',
    full.length === 1
      ? `IPPool ${full[0] ?? ''}`
      : `all IPPools serving this Service are full: ${full.join('; ')}`,
  );
};

/**
 * The ordered checks; the first non-null answer explains why the Service is pending. A family missing from
 * every pool is reported before problems of requested IPs; the other per-family tests run together after them.
 */
const pendingChecks: readonly PendingCheck[] = [
  noPools,
  explicitPool,
  (ctx) => familyCheck(ctx, [familyAvailable]),
  requestedIPs,
  (ctx) => familyCheck(ctx, [familyAvailable, somePoolServes, readyPoolServes, capacityLeft]),
];

/**
 * Why is this Service without a (complete) address? Not-ours and invalid Services are answered from
 * the adapter result; otherwise the checks run in order against the allocator state. null: nothing
 * stops allocation.
 */
export function explainPending(input: {
  service: ServiceRequestResult;
  serviceKey: string;
  view: AllocatorView;
}): PendingReason | null {
  const s = input.service;
  if (s.kind === 'ignored') return { kind: 'ignore', reason: s.reason, message: s.message };
  if (s.kind === 'invalid') return eventReason('InvalidAnnotation', s.problems.join('; '));
  const ctx: PendingContext = { request: s.request, serviceKey: input.serviceKey, view: input.view };
  for (const check of pendingChecks) {
    const r = check(ctx);
    if (r !== null) return r;
  }
  return null;
}
