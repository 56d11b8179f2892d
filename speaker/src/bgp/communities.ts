/**
 * BGP community text in the order FRR keeps it (it sorts communities numerically when it stores them and prints
 * well-known values by name), so a rendered `set community` line reads exactly as FRR's running configuration and
 * a reload finds nothing to change.
 */

/** Well-known standard communities (RFC 1997, 7611, 7999, 8326, 8642) by the name FRR prints. */
const WELL_KNOWN: Readonly<Record<string, number>> = {
  internet: 0,
  'graceful-shutdown': 0xffff0000,
  'accept-own': 0xffff0001,
  'llgr-stale': 0xffff0006,
  'no-llgr': 0xffff0007,
  blackhole: 0xffff029a,
  'no-export': 0xffffff01,
  'no-advertise': 0xffffff02,
  'local-AS': 0xffffff03,
  'no-peer': 0xffffff04,
};
const NAME_OF = new Map(Object.entries(WELL_KNOWN).map(([name, value]) => [value, name]));

const U16 = /^(0|[1-9][0-9]{0,4})$/;
const U32 = /^(0|[1-9][0-9]{0,9})$/;

/** The 32-bit value of `AA:NN` or a well-known name; undefined when the text is neither. */
export function communityValue(text: string): number | undefined {
  const named = WELL_KNOWN[text];
  if (named !== undefined) return named;
  const parts = text.split(':');
  if (parts.length !== 2 || !parts.every((p) => U16.test(p))) return undefined;
  const [hi, lo] = parts.map(Number) as [number, number];
  if (hi > 0xffff || lo > 0xffff) return undefined;
  return hi * 0x10000 + lo;
}

/** The 3 × 32-bit parts of `A:B:C`; undefined when malformed. */
export function largeCommunityParts(text: string): [number, number, number] | undefined {
  const parts = text.split(':');
  if (parts.length !== 3 || !parts.every((p) => U32.test(p))) return undefined;
  const nums = parts.map(Number);
  if (nums.some((n) => n > 0xffffffff)) return undefined;
  return nums as [number, number, number];
}

function communityText(value: number): string {
  return NAME_OF.get(value) ?? `${Math.floor(value / 0x10000)}:${value % 0x10000}`;
}

/**
 * Distinct communities, numerically sorted, well-known values by name. Text that is neither (the parser lets
 * none through; a name FRR knows and this table does not) follows, sorted as text: FRR has the last word.
 */
export function sortCommunities(list: readonly string[]): string[] {
  const values = new Set<number>();
  const other = new Set<string>();
  for (const c of list) {
    const v = communityValue(c);
    if (v === undefined) other.add(c);
    else values.add(v);
  }
  return [...[...values].sort((a, b) => a - b).map(communityText), ...[...other].sort()];
}

/** Distinct large communities, numerically sorted; malformed text follows, sorted as text. */
export function sortLargeCommunities(list: readonly string[]): string[] {
  const parsed = new Map<string, [number, number, number]>();
  const other = new Set<string>();
  for (const c of list) {
    const p = largeCommunityParts(c);
    if (p === undefined) other.add(c);
    else parsed.set(p.join(':'), p);
  }
  return [
    ...[...parsed.values()].sort((a, b) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2]).map((p) => p.join(':')),
    ...[...other].sort(),
  ];
}
