import { BGP_SESSION_STATES, formatIP, parseIP, type BgpSessionState } from '@ironlb/shared';

/**
 * Session states from FRR's `show bgp summary json`: one object per address family (`ipv4Unicast`, …), each
 * with `peers` keyed by address and a `state` such as `Established`, `Active` or `Idle (Admin)`.
 *
 * Returns address (canonical) → state; a peer listed in several families keeps its best state. Text that is
 * not such JSON (FRR not running, no BGP instance) gives null: nothing is known.
 */
export function parseBgpSummary(text: string): Map<string, BgpSessionState> | null {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return null;
  }
  if (!isRecord(json)) return null;
  const states = new Map<string, BgpSessionState>();
  for (const family of Object.values(json)) {
    if (!isRecord(family) || !isRecord(family.peers)) continue;
    for (const [raw, peer] of Object.entries(family.peers)) {
      const ip = parseIP(raw);
      const state = isRecord(peer) && typeof peer.state === 'string' ? sessionState(peer.state) : undefined;
      if (!ip || !state) continue;
      const key = formatIP(ip);
      const prev = states.get(key);
      if (!prev || rank(state) > rank(prev)) states.set(key, state);
    }
  }
  return states;
}

/** FRR's state text (`Idle (Admin)`, `Established`) → the API's state; undefined when unknown. */
export function sessionState(text: string): BgpSessionState | undefined {
  const word = text.split(/[\s(]/)[0] ?? '';
  return BGP_SESSION_STATES.find((s) => s === word);
}

function rank(s: BgpSessionState): number {
  return BGP_SESSION_STATES.indexOf(s);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
