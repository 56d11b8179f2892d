import type { BgpSessionStatus } from '../types/bgp.js';

/**
 * BGPPeer `status.summary`: how many of the peer's sessions are Established, e.g. `2/3 Established`, then
 * the nodes whose session is not, with their state, while they fit (the field holds at most 64 characters):
 * `2/3 Established; node-c Active`. No sessions: `0/0 Established`. Deterministic: nodes in name order.
 */
export const BGP_SUMMARY_MAX_LENGTH = 64;

export function bgpSessionSummary(sessions: readonly BgpSessionStatus[]): string {
  const up = sessions.filter((s) => s.state === 'Established').length;
  let text = `${up}/${sessions.length} Established`;
  const down = sessions
    .filter((s) => s.state !== 'Established')
    .sort((a, b) => (a.node < b.node ? -1 : a.node > b.node ? 1 : 0));
  for (const [i, s] of down.entries()) {
    const next = `${text}${i === 0 ? '; ' : ', '}${s.node} ${s.state}`;
    const rest = down.length - i - 1;
    const reserve = rest > 0 ? `, +${rest}`.length : 0;
    if (next.length + reserve > BGP_SUMMARY_MAX_LENGTH)
      return `${text}${i === 0 ? '; ' : ', '}+${down.length - i}`;
    text = next;
  }
  return text;
}
