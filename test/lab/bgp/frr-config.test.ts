import { describe, expect, it } from 'vitest';
import { renderInitialNodeConfig, renderRouterConfig } from './frr-config.js';

const base = {
  hostname: 'ilb-router',
  asn: 64512,
  routerId: '192.0.2.61',
  nodes: [
    { ipv4: '192.0.2.11', ipv6: '2001:db8::11' },
    { ipv4: '192.0.2.12', ipv6: '2001:db8::12' },
  ],
  bfd: { profile: 'lab', intervalMs: 50, detectMultiplier: 3 },
};

describe('renderRouterConfig', () => {
  it('peers with every node address in the peer group of its family, with BFD and ECMP in both families', () => {
    const text = renderRouterConfig(base);
    const lines = text.split('\n');
    expect(lines).toEqual(
      expect.arrayContaining([
        'frr defaults datacenter',
        'router bgp 64512',
        ' no bgp ebgp-requires-policy',
        ' bgp bestpath as-path multipath-relax',
        ' neighbor NODES4 remote-as external',
        ' neighbor NODES6 bfd profile lab',
        ' neighbor 192.0.2.11 peer-group NODES4',
        ' neighbor 192.0.2.12 peer-group NODES4',
        ' neighbor 2001:db8::11 peer-group NODES6',
        ' neighbor 2001:db8::12 peer-group NODES6',
        '  detect-multiplier 3',
        '  receive-interval 50',
      ]),
    );
    expect(lines.filter((l) => l === '  maximum-paths 16')).toHaveLength(2);
    const v6 = text.slice(text.indexOf('address-family ipv6'));
    expect(v6).toContain('neighbor NODES6 activate');
    expect(v6).not.toContain('NODES4');
    expect(text).not.toContain('password');
  });

  it('sets a peer password on both groups when asked, and rejects one with spaces', () => {
    const text = renderRouterConfig({ ...base, password: 's3cret!' });
    expect(text).toContain(' neighbor NODES4 password s3cret!\n');
    expect(text).toContain(' neighbor NODES6 password s3cret!\n');
    expect(() => renderRouterConfig({ ...base, password: 'two words' })).toThrow(/printable ASCII/);
  });

  it('peers over iBGP when asked: remote-as internal and iBGP multipath in both families', () => {
    const text = renderRouterConfig({ ...base, asn: 64513, peering: 'internal' });
    const lines = text.split('\n');
    expect(lines).toEqual(
      expect.arrayContaining([
        'router bgp 64513',
        ' neighbor NODES4 remote-as internal',
        ' neighbor NODES6 remote-as internal',
      ]),
    );
    expect(lines.filter((l) => l === '  maximum-paths ibgp 16')).toHaveLength(2);
    expect(text).not.toContain('remote-as external');
  });
});

describe('renderInitialNodeConfig', () => {
  it('configures no routing protocol', () => {
    const text = renderInitialNodeConfig('ilb-node-1');
    expect(text).toContain('hostname ilb-node-1\n');
    expect(text).not.toMatch(/router|neighbor/);
  });
});
