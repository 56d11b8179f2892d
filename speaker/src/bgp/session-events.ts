import type { BgpSessionState } from '@ironlb/shared';

/**
 * Where one wanted session of this node stands, for events (keyed by peer address):
 * - `connecting`: wanted since `since`, not Established yet, not reported;
 * - `not-established`: still not Established `graceMs` after `since`, reported once (Warning);
 * - `up`: Established;
 * - `down`: left Established at `since`, reported once (Warning).
 */
export interface SessionTrack {
  phase: 'connecting' | 'not-established' | 'up' | 'down';
  /** ms: when the phase's episode began (wanted on this node, or left Established). */
  since: number;
}

export type SessionEventKind = 'not-established' | 'down' | 'established';

/** One event to emit: `state` is what FRR reports now (undefined: FRR has no such session). */
export interface SessionEvent {
  kind: SessionEventKind;
  address: string;
  state: BgpSessionState | undefined;
  /** ms the episode lasted: not established for (`not-established`, `established`) or down for (`established`). */
  forMs: number;
  /** For `established`: what it recovered from. */
  after?: 'down' | 'not-established';
}

/** Event reasons: stable, UpperCamelCase. Warning for the first two, Normal for the last. */
export const SESSION_EVENT_REASONS: Readonly<Record<SessionEventKind, string>> = {
  'not-established': 'BGPSessionNotEstablished',
  down: 'BGPSessionDown',
  established: 'BGPSessionEstablished',
};

/**
 * The events of one poll, and the tracks after it. One event per episode: a session that never reaches
 * Established gives one `not-established` once `graceMs` have passed since it was first wanted; one that leaves
 * Established gives one `down`; either gives one `established` when it comes back. A session that comes up within
 * the grace time, states that change while down (Active ↔ Connect) and repeated polls give nothing.
 * Only wanted sessions are tracked (`wanted`: addresses in the current plan): a session removed on purpose is
 * forgotten without an event, and wanted again it starts a new episode. The first poll after a start treats an
 * Established session as up (no event) and any other as just wanted.
 */
export function sessionEvents(args: {
  tracks: ReadonlyMap<string, SessionTrack>;
  states: ReadonlyMap<string, BgpSessionState>;
  wanted: ReadonlySet<string>;
  now: number;
  graceMs: number;
}): { tracks: Map<string, SessionTrack>; events: SessionEvent[] } {
  const { now } = args;
  const tracks = new Map<string, SessionTrack>();
  const events: SessionEvent[] = [];
  for (const address of [...args.wanted].sort()) {
    const state = args.states.get(address);
    const up = state === 'Established';
    const track = args.tracks.get(address);
    const forMs = track === undefined ? 0 : now - track.since;
    if (track === undefined) {
      tracks.set(address, { phase: up ? 'up' : 'connecting', since: now });
    } else if (up) {
      if (track.phase === 'down' || track.phase === 'not-established')
        events.push({ kind: 'established', address, state, forMs, after: track.phase });
      tracks.set(address, track.phase === 'up' ? track : { phase: 'up', since: now });
    } else if (track.phase === 'up') {
      events.push({ kind: 'down', address, state, forMs: 0 });
      tracks.set(address, { phase: 'down', since: now });
    } else if (track.phase === 'connecting' && forMs >= args.graceMs) {
      events.push({ kind: 'not-established', address, state, forMs });
      tracks.set(address, { phase: 'not-established', since: track.since });
    } else tracks.set(address, track);
  }
  return { tracks, events };
}

/** What FRR says about why a session is not up (`show bgp neighbors <address> json`); fields absent when unknown. */
export interface NeighborDetail {
  state?: string;
  lastReset?: string;
  lastNotification?: string;
}

/**
 * Reads FRR's `show bgp neighbors <address> json` (an object keyed by the neighbor address). Text that is not
 * such JSON, or names no neighbor, gives undefined.
 */
export function parseNeighborDetail(text: string): NeighborDetail | undefined {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return undefined;
  const first = Object.values(json)[0] as unknown;
  if (typeof first !== 'object' || first === null) return undefined;
  const n = first as Record<string, unknown>;
  const text_ = (k: string): string | undefined =>
    typeof n[k] === 'string' && n[k] !== '' ? n[k] : undefined;
  const out: NeighborDetail = {};
  const state = text_('bgpState');
  const lastReset = text_('lastResetDueTo');
  const lastNotification = text_('lastNotificationReason') ?? text_('lastErrorCodeSubcode');
  if (state !== undefined) out.state = state;
  if (lastReset !== undefined) out.lastReset = lastReset;
  if (lastNotification !== undefined) out.lastNotification = lastNotification;
  return Object.keys(out).length === 0 ? undefined : out;
}

/** The event note (≤ 1 kB): node, peer address, what happened, and FRR's detail when there is some. */
export function sessionEventNote(args: {
  node: string;
  event: SessionEvent;
  detail?: NeighborDetail | undefined;
}): string {
  const { node, event } = args;
  const now = event.state ?? 'no session in FRR';
  const secs = `${Math.round(event.forMs / 1000)}s`;
  const head =
    event.kind === 'down'
      ? `node ${node}: session with ${event.address} left Established (now ${now})`
      : event.kind === 'not-established'
        ? `node ${node}: session with ${event.address} not Established ${secs} after it was configured (now ${now})`
        : `node ${node}: session with ${event.address} Established again after ${secs} ${event.after === 'down' ? 'down' : 'not established'}`;
  const d = args.detail;
  const parts = [
    d?.lastReset === undefined ? '' : `last reset: ${d.lastReset}`,
    d?.lastNotification === undefined ? '' : `last notification: ${d.lastNotification}`,
  ].filter((p) => p !== '');
  return parts.length === 0 || event.kind === 'established' ? head : `${head}; FRR ${parts.join(', ')}`;
}
