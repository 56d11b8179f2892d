import type { AllocationRequest } from './types.js';

function selectorText(s: Readonly<Record<string, string>>): string {
  return Object.keys(s)
    .sort()
    .map((k) => `${k}=${s[k] ?? ''}`)
    .join(',');
}

/**
 * Why two Services may NOT hold the same IP, or null when they may. Rules (MetalLB compatible):
 * both carry the same non-empty sharing key; no (protocol, port) is used by both; and when either
 * uses externalTrafficPolicy Local, both do and their selectors are identical (one set of nodes).
 */
export function sharingConflict(a: AllocationRequest, b: AllocationRequest): string | null {
  if (a.sharingKey === '' || b.sharingKey === '') return 'it has no sharing key';
  if (a.sharingKey !== b.sharingKey) return `sharing key '${b.sharingKey}' differs from '${a.sharingKey}'`;
  const used = new Set(b.ports.map((p) => `${p.protocol}/${p.port}`));
  const clash = a.ports.find((p) => used.has(`${p.protocol}/${p.port}`));
  if (clash !== undefined) return `port ${clash.protocol}/${clash.port} is already used on that IP`;
  const local = a.externalTrafficPolicy === 'Local' || b.externalTrafficPolicy === 'Local';
  if (
    local &&
    (a.externalTrafficPolicy !== b.externalTrafficPolicy ||
      selectorText(a.selector) !== selectorText(b.selector))
  ) {
    return 'externalTrafficPolicy Local requires both Services to be Local with identical selectors';
  }
  return null;
}
