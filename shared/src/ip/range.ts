import { type IPAddress, type IPFamily, formatIP } from './address.js';
import { type Cidr, hostMask } from './cidr.js';

/** Inclusive range of one family: start <= end. */
export interface IPRange {
  readonly family: IPFamily;
  readonly start: bigint;
  readonly end: bigint;
}

export function cidrToRange(cidr: Cidr): IPRange {
  return { family: cidr.family, start: cidr.base, end: cidr.base | hostMask(cidr.family, cidr.prefixLength) };
}

export function rangeSize(range: IPRange): bigint {
  return range.end - range.start + 1n;
}

export function formatRange(range: IPRange): string {
  const a = formatIP({ family: range.family, value: range.start });
  return range.start === range.end ? a : `${a}-${formatIP({ family: range.family, value: range.end })}`;
}

function compareRanges(a: IPRange, b: IPRange): number {
  if (a.family !== b.family) return a.family === 'IPv4' ? -1 : 1;
  return a.start < b.start ? -1 : a.start > b.start ? 1 : 0;
}

/**
 * Sorts (IPv4 first, then by start) and merges overlapping or adjacent ranges.
 * Postcondition: ranges are disjoint, non-adjacent and sorted.
 */
export function normalizeRanges(ranges: readonly IPRange[]): IPRange[] {
  const sorted = [...ranges].sort(compareRanges);
  const out: IPRange[] = [];
  for (const r of sorted) {
    const last = out.at(-1);
    if (last?.family === r.family && r.start <= last.end + 1n) {
      if (r.end > last.end) out[out.length - 1] = { ...last, end: r.end };
    } else {
      out.push(r);
    }
  }
  return out;
}

/** Binary search over normalized ranges: O(log n). */
export function rangesContain(ranges: readonly IPRange[], address: IPAddress): boolean {
  let lo = 0;
  let hi = ranges.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const r = ranges[mid];
    if (r === undefined) return false;
    const cmp = compareRanges(r, { family: address.family, start: address.value, end: address.value });
    if (cmp > 0) hi = mid - 1;
    else if (r.family === address.family && address.value <= r.end) return true;
    else lo = mid + 1;
  }
  return false;
}

/** First overlapping pair of two normalized lists (linear merge), or undefined. */
export function firstOverlap(a: readonly IPRange[], b: readonly IPRange[]): IPRange | undefined {
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const x = a[i];
    const y = b[j];
    if (x === undefined || y === undefined) break;
    if (x.family === y.family && x.start <= y.end && y.start <= x.end) {
      const start = x.start > y.start ? x.start : y.start;
      const end = x.end < y.end ? x.end : y.end;
      return { family: x.family, start, end };
    }
    if (compareRanges({ ...x, start: x.end }, { ...y, start: y.end }) < 0) i++;
    else j++;
  }
  return undefined;
}

/** Numbers x in [0, n] with x mod 256 === r, for r < 256. */
function countResidue(n: bigint, r: bigint): bigint {
  return n < r ? 0n : (n - r) / 256n + 1n;
}

/** IPv4 addresses ending in .0 or .255 inside the range ("buggy" for old network stacks). */
export function countBuggy(range: IPRange): bigint {
  if (range.family !== 'IPv4') return 0n;
  const upTo = (n: bigint): bigint => (n < 0n ? 0n : countResidue(n, 0n) + countResidue(n, 255n));
  return upTo(range.end) - upTo(range.start - 1n);
}

export function isBuggyIP(address: IPAddress): boolean {
  const low = address.value & 0xffn;
  return address.family === 'IPv4' && (low === 0n || low === 255n);
}
