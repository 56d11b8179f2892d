import { WELL_KNOWN_COMMUNITY_VALUES } from '@ironlb/shared';

/**
 * BGP community text in the order FRR keeps it (it sorts communities numerically when it stores them and prints
 * well-known values by name), so a rendered `set community` line reads exactly as FRR's running configuration and
 * a reload finds nothing to change.
 */

const NAME_OF = new Map(Object.entries(WELL_KNOWN_COMMUNITY_VALUES).map(([name, value]) => [value, name]));

const U16 = /^(0|[1-9][0-9]{0,4})$/;
const U32 = /^(0|[1-9][0-9]{0,9})$/;

/** The 32-bit value of `AA:NN` or a well-known name; undefined when the text is neither. */
function communityValue(text: string): number | undefined {
  const named = WELL_KNOWN_COMMUNITY_VALUES[text];
  if (named !== undefined) return named;
  const parts = text.split(':');
  if (parts.length !== 2 || !parts.every((p) => U16.test(p))) return undefined;
  const [hi, lo] = parts.map(Number) as [number, number];
  if (hi > 0xffff || lo > 0xffff) return undefined;
  return hi * 0x10000 + lo;
}

/** The 3 × 32-bit parts of `A:B:C`; undefined when malformed. */
function largeCommunityParts(text: string): [number, number, number] | undefined {
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
