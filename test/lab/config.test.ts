import { describe, expect, it } from 'vitest';
import { labConfig } from './config.js';

describe('lab config', () => {
  const config = labConfig({ IRONLB_LAB_DIR: '/tmp/x', IRONLB_LAB_NODES: '3' });

  it('names and addresses nodes and the client deterministically', () => {
    expect(config.nodes.map((n) => [n.netns, n.ipv4, n.ipv6, n.mac])).toEqual([
      ['ilb-node-1', '192.0.2.11', '2001:db8::11', '02:00:00:00:00:0b'],
      ['ilb-node-2', '192.0.2.12', '2001:db8::12', '02:00:00:00:00:0c'],
      ['ilb-node-3', '192.0.2.13', '2001:db8::13', '02:00:00:00:00:0d'],
    ]);
    expect([config.client.netns, config.client.ipv4, config.client.ipv6]).toEqual([
      'ilb-client',
      '192.0.2.100',
      '2001:db8::100',
    ]);
  });

  it('uses only the ilb- prefix and interface names the kernel accepts (≤ 15 bytes)', () => {
    const many = labConfig({ IRONLB_LAB_NODES: '50' });
    const names = [
      many.lanNetns,
      many.bridge,
      many.hostLink,
      many.hostBridgePort,
      many.pinDevice,
      ...many.nodes.flatMap((n) => [n.netns, n.bridgePort]),
      many.client.netns,
      many.client.bridgePort,
    ];
    for (const name of names) {
      expect(name).toMatch(/^ilb-/);
      expect(name.length).toBeLessThanOrEqual(15);
    }
  });

  it('uses documentation prefixes only', () => {
    const doc = /^(192\.0\.2\.|198\.51\.100\.|203\.0\.113\.|2001:db8:)/;
    for (const a of [
      ...config.serviceCidrs,
      ...config.loadBalancerPrefixes,
      config.hostIpv6,
      config.apiserverAdvertiseIpv4,
      config.podIpv4Base,
      config.podIpv6Base,
    ]) {
      expect(a).toMatch(doc);
    }
  });

  it('rejects a nonsensical node count', () => {
    expect(() => labConfig({ IRONLB_LAB_NODES: '0' })).toThrow(/IRONLB_LAB_NODES/);
  });
});
