import {
  API_GROUP_VERSION,
  BGP_PEER_KIND,
  bgpSessionSummary,
  type BgpSessionState,
  type BgpSessionStatus,
} from '@ironlb/shared';

/** What the API server holds in a BGPPeer's status (read from the watch cache). */
export interface ObservedPeerStatus {
  sessions: readonly BgpSessionStatus[];
  summary: string | undefined;
}

/**
 * This node's entry for a peer: the state FRR reports (`Idle` when FRR has no such session, e.g. the peer is left
 * out for want of its password). `lastChange` stays that of `previous` while the state is the same.
 */
export function sessionEntry(args: {
  node: string;
  state: BgpSessionState | undefined;
  previous: BgpSessionStatus | undefined;
  now: string;
}): BgpSessionStatus {
  const state = args.state ?? 'Idle';
  const kept = args.previous?.state === state ? args.previous.lastChange : undefined;
  return { node: args.node, state, lastChange: kept ?? args.now };
}

/** The sessions list once this node's entry is `own` (undefined: removed), sorted by node. */
export function withOwnEntry(
  sessions: readonly BgpSessionStatus[],
  node: string,
  own: BgpSessionStatus | undefined,
): BgpSessionStatus[] {
  const others = sessions.filter((s) => s.node !== node);
  const all = own === undefined ? others : [...others, own];
  return all.sort((a, b) => (a.node < b.node ? -1 : a.node > b.node ? 1 : 0));
}

/**
 * The server-side apply body of one speaker for a BGPPeer's status subresource: its own entry (none = it has no
 * session with the peer any more, so the apply removes the entry it owned) and the summary of the whole list as
 * it will be. Other nodes' entries are not in the body, so they are left as they are.
 */
export function statusApplyBody(args: {
  peer: string;
  node: string;
  own: BgpSessionStatus | undefined;
  observed: ObservedPeerStatus;
}): object {
  const summary = bgpSessionSummary(withOwnEntry(args.observed.sessions, args.node, args.own));
  return {
    apiVersion: API_GROUP_VERSION,
    kind: BGP_PEER_KIND,
    metadata: { name: args.peer },
    status: { ...(args.own === undefined ? {} : { sessions: [args.own] }), summary },
  };
}

/** Does the API server already hold what this node would write (its entry's node and state, and the summary)? */
export function statusUpToDate(args: {
  node: string;
  own: BgpSessionStatus | undefined;
  observed: ObservedPeerStatus;
}): boolean {
  const current = args.observed.sessions.find((s) => s.node === args.node);
  if ((current === undefined) !== (args.own === undefined)) return false;
  if (current !== undefined && current.state !== args.own?.state) return false;
  return args.observed.summary === bgpSessionSummary(args.observed.sessions);
}
