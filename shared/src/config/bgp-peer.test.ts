import { describe, expect, it } from 'vitest';
import { parseIP } from '../ip/address.js';
import { parseBgpPeer, peerCoversNode } from './bgp-peer.js';
import { bgpPeerConfigCache } from './config-caches.js';
import { invalidBgpObjects } from './testing/invalid-bgp.js';

const peer = (spec: Record<string, unknown>, uid?: string): unknown => ({
  metadata: { name: 'router', ...(uid === undefined ? {} : { uid }) },
  spec,
});
const base = { myASN: 64512, peerASN: 64513, peerAddress: '192.0.2.254' };

describe('parseBgpPeer', () => {
  it('fills the defaults', () => {
    expect(parseBgpPeer(peer(base, 'u-1'))).toEqual({
      ok: true,
      value: {
        name: 'router',
        uid: 'u-1',
        peerAddress: parseIP('192.0.2.254'),
        peerASN: 64513,
        localASN: 64512,
        port: 179,
        holdTimeSeconds: undefined,
        keepaliveTimeSeconds: undefined,
        passwordSecret: undefined,
        bfdProfile: undefined,
        nodeSelector: undefined,
        ebgpMultiHop: false,
        sourceAddress: undefined,
      },
    });
  });

  it('reads every field of an IPv6 peer', () => {
    const r = parseBgpPeer(
      peer({
        myASN: 4200000000,
        peerASN: 65000,
        peerAddress: '2001:DB8:ffff::FE',
        sourceAddress: '2001:db8:ffff::1',
        peerPort: 1179,
        holdTime: '1m30s',
        keepaliveTime: '30s',
        passwordSecret: { name: 'bgp-auth' },
        bfdProfile: 'fast',
        nodeSelector: { matchLabels: { zone: 'a' } },
        ebgpMultiHop: true,
      }),
    );
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value).toMatchObject({
      localASN: 4200000000,
      peerAddress: parseIP('2001:db8:ffff::fe'),
      sourceAddress: parseIP('2001:db8:ffff::1'),
      port: 1179,
      holdTimeSeconds: 90,
      keepaliveTimeSeconds: 30,
      passwordSecret: { name: 'bgp-auth', key: 'password' },
      bfdProfile: 'fast',
      ebgpMultiHop: true,
    });
    expect(peerCoversNode(r.value, { zone: 'a' })).toBe(true);
    expect(peerCoversNode(r.value, { zone: 'b' })).toBe(false);
  });

  it.each([
    ['3s', 3],
    ['65535s', 65535],
    ['1h', 3600],
    ['0s', 0],
    ['2m0s', 120],
  ])('holdTime %s is %i seconds', (holdTime, seconds) => {
    const r = parseBgpPeer(peer({ ...base, holdTime }));
    expect(r.ok && r.value.holdTimeSeconds).toBe(seconds);
  });

  it('allows any keepalive with a hold time of 0 (no keepalives)', () => {
    expect(parseBgpPeer(peer({ ...base, holdTime: '0s', keepaliveTime: '10s' })).ok).toBe(true);
  });

  it.each([
    ['0.0.0.0', false],
    ['255.255.255.255', false],
    ['224.0.0.5', false],
    ['169.254.1.1', false],
    ['10.0.0.1', true],
    ['::', false],
    ['::1', false],
    ['ff02::2', false],
    ['fe80::1', false],
    ['fec0::1', true],
    ['fd00::1', true],
  ])('peerAddress %s is accepted: %s (global unicast)', (peerAddress, accepted) => {
    expect(parseBgpPeer(peer({ ...base, peerAddress })).ok).toBe(accepted);
  });

  it('reports every problem with its field path', () => {
    expect(
      parseBgpPeer(peer({ myASN: 0, peerAddress: '10.0.0.1', sourceAddress: 'fd00::1', holdTime: 'x' })),
    ).toEqual({
      ok: false,
      error: [
        'spec.peerASN: Required value',
        'spec.myASN: Invalid value: 0: spec.myASN in body should be greater than or equal to 1',
        'spec: sourceAddress must be of the same IP family as peerAddress',
        "spec.holdTime: 'x' is not a duration in whole seconds like 90s, 3m or 1m30s",
      ],
    });
  });

  // The same table is applied to the real API server by test/e2e/bgp-validation.test.ts.
  it.each(invalidBgpObjects.filter((c) => c.kind === 'BGPPeer').map((c) => [c.name, c] as const))(
    'rejects %s like the CRD does',
    (_n, c) => {
      const r = parseBgpPeer(c.manifest);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error.join('\n')).toContain(c.expected);
    },
  );

  it('keeps the last valid peer when the spec turns invalid', () => {
    const cache = bgpPeerConfigCache();
    const [first] = cache.update([peer(base, 'u-1')]);
    expect(first?.source).toBe('spec');
    const [second] = cache.update([peer({ ...base, peerASN: 0 }, 'u-1')]);
    expect(second?.source).toBe('memory');
    expect(second?.config?.peerASN).toBe(64513);
    expect(second?.errors[0]).toContain('spec.peerASN');
  });
});
