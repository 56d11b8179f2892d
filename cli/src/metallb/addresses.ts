import { err, ok, type Result } from '@ironlb/shared';

/**
 * MetalLB pool address entries: a CIDR (`192.168.1.0/24`, `fc00::/120`), a range (`a-b`, which MetalLB
 * also accepts as `a - b`) or a single IP. The result is the same entry in ironlb's canonical spelling:
 * no whitespace, range ends as written. This is a syntax check only (family, octets, prefix length, both
 * range ends of one family); ironlb's own pool validation does the rest when the IPPool is applied.
 */
export function normaliseAddress(entry: string): Result<string> {
  const compact = entry.trim().replace(/\s*-\s*/u, '-');
  if (compact === '') return err('empty address entry');
  if (/\s/u.test(compact)) return err(`address entry "${entry}" contains whitespace`);
  const dash = compact.indexOf('-');
  if (dash >= 0) return normaliseRange(entry, compact.slice(0, dash), compact.slice(dash + 1));
  const slash = compact.indexOf('/');
  if (slash >= 0) return normaliseCidr(entry, compact.slice(0, slash), compact.slice(slash + 1));
  return ipFamily(compact) === undefined ? err(`"${entry}" is not an IP, CIDR or range`) : ok(compact);
}

type Family = 4 | 6;

function normaliseRange(entry: string, first: string, last: string): Result<string> {
  const a = ipFamily(first);
  const b = ipFamily(last);
  if (a === undefined || b === undefined) return err(`range "${entry}" needs an IP on both sides of "-"`);
  if (a !== b) return err(`range "${entry}" mixes IPv4 and IPv6`);
  return ok(`${first}-${last}`);
}

function normaliseCidr(entry: string, ip: string, prefix: string): Result<string> {
  const family = ipFamily(ip);
  if (family === undefined) return err(`CIDR "${entry}" has no valid IP before "/"`);
  const max = family === 4 ? 32 : 128;
  if (!/^\d{1,3}$/u.test(prefix) || Number(prefix) > max) {
    return err(`CIDR "${entry}" needs a prefix length 0..${max}`);
  }
  return ok(`${ip}/${Number(prefix)}`);
}

const V4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/u;

export function ipFamily(text: string): Family | undefined {
  if (isV4(text)) return 4;
  return isV6(text) ? 6 : undefined;
}

function isV4(text: string): boolean {
  const m = V4.exec(text);
  return m !== null && m.slice(1).every((octet) => Number(octet) <= 255);
}

/** RFC 4291 text forms: up to 8 hex groups, at most one `::`, optionally a trailing dotted IPv4. */
function isV6(text: string): boolean {
  if (!text.includes(':') || text.includes(':::') || (text.match(/::/gu) ?? []).length > 1) return false;
  let body = text;
  let groupsFromV4 = 0;
  const lastColon = text.lastIndexOf(':');
  if (text.slice(lastColon + 1).includes('.')) {
    if (!isV4(text.slice(lastColon + 1))) return false;
    body = `${text.slice(0, lastColon + 1)}0`;
    groupsFromV4 = 1;
  }
  const groups = body.split(':');
  if (!groups.every((g) => /^[0-9a-fA-F]{0,4}$/u.test(g))) return false;
  const filled = groups.filter((g) => g !== '').length + groupsFromV4;
  if (body.includes('::')) return filled <= 7;
  return filled === 8 && groups.length + groupsFromV4 === 8;
}
