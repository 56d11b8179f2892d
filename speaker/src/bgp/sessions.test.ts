import { describe, expect, it } from 'vitest';
import { parseBgpSummary, sessionState } from './sessions.js';

/** Shape of FRR 8.4's `show bgp summary json` (fields trimmed). */
const SUMMARY = JSON.stringify({
  ipv4Unicast: {
    routerId: '192.0.2.11',
    as: 64513,
    peers: {
      '192.0.2.61': { remoteAs: 64512, state: 'Established', peerState: 'OK', pfxSnt: 2 },
      '192.0.2.62': { remoteAs: 64512, state: 'Active', peerState: 'OK' },
      '192.0.2.63': { remoteAs: 64512, state: 'Idle (Admin)', peerState: 'Admin' },
    },
    failedPeers: 2,
  },
  ipv6Unicast: {
    peers: {
      '2001:db8:0::61': { remoteAs: 64512, state: 'Established' },
      '192.0.2.62': { remoteAs: 64512, state: 'Established' },
    },
  },
});

describe('parseBgpSummary', () => {
  it('reads every family, canonical addresses, the best state of a peer listed twice', () => {
    expect(parseBgpSummary(SUMMARY)).toEqual(
      new Map([
        ['192.0.2.61', 'Established'],
        ['192.0.2.62', 'Established'],
        ['192.0.2.63', 'Idle'],
        ['2001:db8::61', 'Established'],
      ]),
    );
  });
  it.each(['', '% No BGP process is configured', '[]', 'null'])('%j → null (nothing known)', (text) => {
    expect(parseBgpSummary(text)).toBeNull();
  });
  it('no BGP instance ({}) → no sessions', () => {
    expect(parseBgpSummary('{}')).toEqual(new Map());
  });
  it('skips peers with an unknown state or a bad address', () => {
    const text = JSON.stringify({
      ipv4Unicast: { peers: { x: { state: 'Established' }, '192.0.2.1': { state: 'Weird' } } },
    });
    expect(parseBgpSummary(text)).toEqual(new Map());
  });
});

describe('sessionState', () => {
  it.each([
    ['Established', 'Established'],
    ['Idle (Admin)', 'Idle'],
    ['Idle(PfxCt)', 'Idle'],
    ['OpenSent', 'OpenSent'],
    ['Clearing', undefined],
  ])('%s → %s', (text, state) => {
    expect(sessionState(text)).toBe(state);
  });
});
