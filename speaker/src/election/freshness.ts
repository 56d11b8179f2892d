/**
 * How fresh a speaker's view of the API server is, and the owner tag of a claimed IP.
 *
 * Freshness is compared through a rank, a total preorder (lower = fresher):
 *   rank = 0                                          when the view is fresh (not stale),
 *   rank = 1 + floor(log2(stalenessMs / staleAfterMs)) when it is stale (stalenessMs > staleAfterMs).
 * So a fresh view beats any stale one, and of two stale views one beats the other only when its age is
 * at least about half of the other's (one power of two apart): noise of a few heartbeats never flips it,
 * and two views that went stale in the same outage compare equal (ranking order decides). Being a rank,
 * the relation is transitive: among any set of speakers there is always a single freshest-then-first one.
 */
export interface Freshness {
  /** Age of the view (0 = confirmed fresh now). */
  stalenessMs: number;
  /** The speaker's own verdict: stalenessMs is past its limit. */
  stale: boolean;
}

/** Largest rank; views older than staleAfterMs * 2^(MAX_RANK - 1) all compare equal. */
const MAX_RANK = 32;

function freshnessRank(f: Freshness, staleAfterMs: number): number {
  if (!f.stale) return 0;
  const unit = Math.max(1, staleAfterMs);
  const ratio = Math.max(1, f.stalenessMs / unit);
  if (!Number.isFinite(ratio)) return MAX_RANK;
  return Math.min(MAX_RANK, 1 + Math.floor(Math.log2(ratio)));
}

/** > 0 when a is strictly fresher than b, < 0 when b is, 0 when they compare equal. */
export function compareFreshness(a: Freshness, b: Freshness, staleAfterMs: number): number {
  return freshnessRank(b, staleAfterMs) - freshnessRank(a, staleAfterMs);
}

const encoder = new TextEncoder();

/**
 * 32-bit unsigned owner tag of an IP: FNV-1a 32 over the sorted identities (uid, else namespace/name) of
 * the Services holding it, newline-separated. A released IP given to another Service gets another tag, so
 * a speaker tells "the same allocation" from "an address re-used while my view lagged".
 */
export function ownerTag(
  services: readonly { namespace: string; name: string; uid?: string | undefined }[],
): number {
  const ids = services.map((s) => s.uid ?? `${s.namespace}/${s.name}`).sort();
  let h = 0x811c9dc5;
  for (const b of encoder.encode(ids.join('\n'))) {
    h ^= b;
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
