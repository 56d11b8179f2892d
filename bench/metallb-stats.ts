/**
 * Order statistics for the side-by-side benchmark. Pure.
 * Invariant: an empty sample has no statistic (undefined), never NaN.
 */

/** Nearest-rank percentile of an ascending sample: the smallest value with at least p % of the sample ≤ it. */
export function percentile(sortedAscending: readonly number[], p: number): number | undefined {
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile: p must be in [0, 100], got ${p}`);
  const n = sortedAscending.length;
  if (n === 0) return undefined;
  const rank = Math.max(1, Math.ceil((p / 100) * n));
  return sortedAscending[rank - 1];
}

/** Median of an unordered sample (mean of the two middle values when the count is even). */
export function median(values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined;
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid] : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
}
