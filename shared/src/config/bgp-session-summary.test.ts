import { describe, expect, it } from 'vitest';
import type { BgpSessionState } from '../types/bgp.js';
import { BGP_SUMMARY_MAX_LENGTH, bgpSessionSummary } from './bgp-session-summary.js';

const s = (node: string, state: BgpSessionState): { node: string; state: BgpSessionState } => ({
  node,
  state,
});

describe('bgpSessionSummary', () => {
  it('counts established sessions and names the others in node order', () => {
    expect(bgpSessionSummary([])).toBe('0/0 Established');
    expect(bgpSessionSummary([s('b', 'Established'), s('a', 'Established')])).toBe('2/2 Established');
    expect(bgpSessionSummary([s('c', 'Idle'), s('a', 'Established'), s('b', 'Active')])).toBe(
      '1/3 Established; b Active, c Idle',
    );
  });

  it('stays within the field length, saying how many nodes it left out', () => {
    const many = Array.from({ length: 40 }, (_, i) => s(`worker-${String(i).padStart(2, '0')}`, 'Connect'));
    const text = bgpSessionSummary(many);
    expect(text.length).toBeLessThanOrEqual(BGP_SUMMARY_MAX_LENGTH);
    expect(text).toMatch(/^0\/40 Established; worker-00 Connect, worker-01 Connect, \+38$/u);
  });
});
