import type { L2AnnouncementConfig } from '@ironlb/shared';
import type { NodeFacts } from '../eligibility/index.js';
import { interfacesFor } from './plan.js';
import type { IpPlan } from './types.js';

/**
 * Interface → IPs this node announces there, from plans whose announcer is this node: the interfaces the
 * covering L2Announcements name, plus the default interface where one names none.
 *
 * Invariant: an IP appears under an interface only if its plan elects `self`; IPs that need the default
 * interface while there is none are listed in `withoutInterface` instead (and announced nowhere else).
 */
export function desiredInterfaces(args: {
  self: string;
  plans: readonly IpPlan[];
  nodes: readonly NodeFacts[];
  announcements: readonly L2AnnouncementConfig[];
  defaultInterface: string | undefined;
}): { desired: Map<string, Set<string>>; withoutInterface: string[] } {
  const node = args.nodes.find((n) => n.name === args.self);
  const desired = new Map<string, Set<string>>();
  const withoutInterface: string[] = [];
  if (!node) return { desired, withoutInterface };
  const fallback = args.defaultInterface;
  for (const plan of args.plans) {
    if (plan.announcer !== args.self) continue;
    const choice = interfacesFor({ plan, node, announcements: args.announcements });
    const names = [...choice.named, ...(choice.useDefault && fallback ? [fallback] : [])];
    if (choice.useDefault && !fallback) withoutInterface.push(plan.ip);
    for (const name of names) desired.set(name, (desired.get(name) ?? new Set()).add(plan.ip));
  }
  return { desired, withoutInterface };
}
