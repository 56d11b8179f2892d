import { err, ok, parseAddressEntry, type Result } from '@ironlb/shared';

/**
 * MetalLB pool address entries: a CIDR (`192.168.1.0/24`, `fc00::/120`), a range (`a-b`, which MetalLB
 * also accepts as `a - b`) or a single IP. The result is the same entry in ironlb's spelling: no
 * whitespace, range ends as written. It is checked with ironlb's own address parser (shared/src/config),
 * so an entry the IPPool would refuse is refused here with the message the API server would give.
 */
export function normaliseAddress(entry: string): Result<string> {
  const compact = entry.trim().replace(/\s*-\s*/u, '-');
  if (compact === '') return err('empty address entry');
  if (/\s/u.test(compact)) return err(`address entry "${entry}" contains whitespace`);
  const parsed = parseAddressEntry(compact);
  return parsed.ok ? ok(compact) : err(parsed.error);
}
