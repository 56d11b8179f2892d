import type { V1Service } from '@kubernetes/client-node';
import { type IPAddress, formatIP, parseIP } from '@ironlb/shared';
import { objectKey } from '@ironlb/shared/kube';
import type { AllocationRequest, Allocator } from '../allocation/index.js';
import { compareAge, statusIPs } from './service-view.js';

export interface ReclaimResult {
  /** Services whose addresses were all kept. */
  readonly kept: number;
  /** serviceKey → why some of its status addresses could not be kept (it will be reassigned). */
  readonly lost: Map<string, string>;
}

/**
 * Rebuilds the allocator from Service status (status is the source of truth). Runs before any new
 * allocation. Claims are honoured oldest Service first, so when two Services claim one address
 * incompatibly the older keeps it and the newer is reported in `lost`. An address is kept on its
 * own when its sibling (other family) cannot be.
 * `requestFor` returns the request to claim with (the hold request for invalid annotations) or
 * undefined for Services that are not ours.
 */
export function reclaim(opts: {
  allocator: Allocator;
  services: readonly V1Service[];
  requestFor: (svc: V1Service) => AllocationRequest | undefined;
}): ReclaimResult {
  const lost = new Map<string, string>();
  let kept = 0;
  for (const svc of [...opts.services].sort(compareAge)) {
    const texts = statusIPs(svc);
    if (texts.length === 0) continue;
    const request = opts.requestFor(svc);
    if (request === undefined) continue;
    const key = objectKey(svc);
    const ips = texts.map((t) => parseIP(t)).filter((ip): ip is IPAddress => ip !== undefined);
    if (opts.allocator.assign(key, ips, request).ok && ips.length === texts.length) {
      kept += 1;
      continue;
    }
    const why: string[] = [];
    const accepted: IPAddress[] = [];
    for (const ip of ips) {
      const r = opts.allocator.assign(key, [...accepted, ip], request);
      if (r.ok) accepted.push(ip);
      else why.push(`${formatIP(ip)} could not be kept: ${r.error.message}`);
    }
    for (const t of texts) if (parseIP(t) === undefined) why.push(`'${t}' is not an IP address`);
    if (why.length > 0) lost.set(key, why.join('; '));
    else kept += 1;
  }
  return { kept, lost };
}
