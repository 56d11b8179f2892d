import { bgpSessionSummary, type BgpSessionStatus } from '@ironlb/shared';

/** One BGPPeer's status as the watch cache holds it. */
export interface PeerSessions {
  name: string;
  resourceVersion: string;
  sessions: readonly BgpSessionStatus[];
  summary: string | undefined;
}

/** A status write that drops the entries of nodes that are gone. */
export interface SessionPrune {
  peer: string;
  /** The write applies only to this version (a speaker's write in between makes it fail with 409). */
  resourceVersion: string;
  /** Node names whose entries go, sorted. */
  removed: string[];
  /** The entries that stay, unchanged, in their order. */
  sessions: BgpSessionStatus[];
  /** The summary of `sessions`, made as every speaker makes it (`bgpSessionSummary`). */
  summary: string;
}

/**
 * Which node names count as gone: named by some BGPPeer's status entry, absent from the Node cache, and absent for
 * at least `graceMs` (a node just created may write its entry before this controller's Node cache shows it).
 * `missingSince` is carried from pass to pass: it holds the names missing now, with when they were first seen
 * missing; a name seen again is forgotten. `nextCheckMs`: when a name still in its grace time becomes gone
 * (undefined: none waits).
 */
export function goneNodes(args: {
  named: Iterable<string>;
  existing: ReadonlySet<string>;
  missingSince: ReadonlyMap<string, number>;
  now: number;
  graceMs: number;
}): { gone: Set<string>; missingSince: Map<string, number>; nextCheckMs: number | undefined } {
  const gone = new Set<string>();
  const missingSince = new Map<string, number>();
  let nextCheckMs: number | undefined;
  for (const node of new Set(args.named)) {
    if (args.existing.has(node)) continue;
    const since = args.missingSince.get(node) ?? args.now;
    missingSince.set(node, since);
    const due = since + args.graceMs;
    if (due <= args.now) gone.add(node);
    else nextCheckMs = Math.min(nextCheckMs ?? due, due);
  }
  return { gone, missingSince, nextCheckMs };
}

/**
 * The writes that prune BGPPeer status of gone nodes: one per peer with at least one such entry; the other
 * entries stay as they are and the summary is recomputed from them. Peers in name order.
 */
export function sessionPrunes(args: {
  peers: readonly PeerSessions[];
  gone: ReadonlySet<string>;
}): SessionPrune[] {
  const out: SessionPrune[] = [];
  for (const peer of [...args.peers].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const removed = peer.sessions.filter((s) => args.gone.has(s.node)).map((s) => s.node);
    if (removed.length === 0) continue;
    const sessions = peer.sessions.filter((s) => !args.gone.has(s.node));
    out.push({
      peer: peer.name,
      resourceVersion: peer.resourceVersion,
      removed: removed.sort(),
      sessions,
      summary: bgpSessionSummary(sessions),
    });
  }
  return out;
}
