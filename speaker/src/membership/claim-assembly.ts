import { EMPTY_CLAIM_SET, digestOf, recordsToClaims, sameDigest, type ClaimDigest } from './claim-set.js';
import type { ClaimChunk } from './heartbeat-codec.js';

/**
 * Reassembles peers' claim sets from chunk datagrams. Pure: callers pass the time.
 *
 * Invariants:
 * - A set becomes complete only when every chunk 0..total-1 of one digest has arrived and the digest
 *   recomputed over the joined records equals the advertised one; a set is never partial or mixed.
 * - Per peer at most one complete set (the latest) and one partial set (the digest being received) are
 *   held; a chunk of another digest replaces the partial set.
 * - `claimsFor` answers only for the digest asked for, so a peer whose latest heartbeat advertises a
 *   different digest has no claims (undefined) until the matching set is complete.
 */
interface Partial {
  digest: ClaimDigest;
  total: number;
  chunks: Map<number, Buffer>;
  lastChunkMs: number;
}

interface Complete {
  digest: ClaimDigest;
  claims: ReadonlyMap<string, number>;
}

export type ChunkOutcome = 'completed' | 'pending' | 'duplicate' | 'digest mismatch';

const EMPTY_CLAIMS: ReadonlyMap<string, number> = new Map();

export class ClaimAssembly {
  private readonly complete = new Map<string, Complete>();
  private readonly partial = new Map<string, Partial>();

  add(node: string, chunk: ClaimChunk, nowMs: number): ChunkOutcome {
    const done = this.complete.get(node);
    if (done && sameDigest(done.digest, chunk.digest)) return 'duplicate';
    let part = this.partial.get(node);
    if (!part || !sameDigest(part.digest, chunk.digest) || part.total !== chunk.total) {
      part = { digest: chunk.digest, total: chunk.total, chunks: new Map(), lastChunkMs: nowMs };
      this.partial.set(node, part);
    }
    part.lastChunkMs = nowMs;
    if (part.chunks.has(chunk.index)) return 'duplicate';
    part.chunks.set(chunk.index, chunk.records);
    if (part.chunks.size < part.total) return 'pending';
    this.partial.delete(node);
    const ordered: Buffer[] = [];
    for (let i = 0; i < part.total; i++) ordered.push(part.chunks.get(i) ?? Buffer.alloc(0));
    const records = Buffer.concat(ordered);
    if (!sameDigest(digestOf(records), part.digest)) return 'digest mismatch';
    this.complete.set(node, { digest: part.digest, claims: recordsToClaims(records) });
    return 'completed';
  }

  /** The complete claim set of `node` with this digest, or undefined if not held. */
  claimsFor(node: string, digest: ClaimDigest): ReadonlyMap<string, number> | undefined {
    if (sameDigest(digest, EMPTY_CLAIM_SET.digest)) return EMPTY_CLAIMS;
    const done = this.complete.get(node);
    return done && sameDigest(done.digest, digest) ? done.claims : undefined;
  }

  /** When the last chunk of a partial set with this digest arrived (undefined: none in flight). */
  receivingSince(node: string, digest: ClaimDigest): number | undefined {
    const part = this.partial.get(node);
    return part && sameDigest(part.digest, digest) ? part.lastChunkMs : undefined;
  }

  forget(node: string): void {
    this.complete.delete(node);
    this.partial.delete(node);
  }
}
