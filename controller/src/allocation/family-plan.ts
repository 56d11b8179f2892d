import type { IPFamily } from '@ironlb/shared';
import type { AllocationRequest } from './types.js';

/** Which families a Service needs: `families` in preference order, at least `minimum` of them. */
export interface FamilyPlan {
  readonly families: readonly IPFamily[];
  readonly minimum: number;
}

const other = (f: IPFamily): IPFamily => (f === 'IPv4' ? 'IPv6' : 'IPv4');

/**
 * SingleStack: the first family. RequireDualStack: both. PreferDualStack: both, at least one.
 * Requested IPs fix their families (all of them are needed); RequireDualStack adds the other family.
 */
export function familyPlan(request: AllocationRequest): FamilyPlan {
  const first = request.families[0] ?? 'IPv4';
  const both: IPFamily[] = [first, request.families[1] ?? other(first)];
  if (request.requestedIPs.length > 0) {
    const fams = request.requestedIPs.map((ip) => ip.family);
    if (request.familyPolicy === 'RequireDualStack' && fams.length === 1) fams.push(other(fams[0] ?? first));
    return { families: fams, minimum: fams.length };
  }
  switch (request.familyPolicy) {
    case 'SingleStack':
      return { families: [first], minimum: 1 };
    case 'RequireDualStack':
      return { families: both, minimum: 2 };
    case 'PreferDualStack':
      return { families: both, minimum: 1 };
  }
}
