import { describe, expect, it } from 'vitest';
import { labConfig } from '../config.js';
import { bgpLabPlan, bgpNamespaces } from './plan.js';

describe('bgpLabPlan', () => {
  // The largest lab: 50 nodes (.11–.60).
  const config = labConfig({ IRONLB_LAB_NODES: '50', IRONLB_LAB_DIR: '/tmp/ironlb-lab-plan-test' });
  const plan = bgpLabPlan(config);
  const members = [...config.nodes, config.client, plan.router];

  it("gives the iBGP peer the nodes' ASN and LAN addresses, MAC and bridge port no other member has", () => {
    const { ibgp } = plan;
    expect(ibgp.asn).toBe(plan.nodeAsn);
    expect(ibgp.asn).not.toBe(plan.router.asn);
    for (const m of members) {
      expect(m.ipv4).not.toBe(ibgp.ipv4);
      expect(m.ipv6).not.toBe(ibgp.ipv6);
      expect(m.mac).not.toBe(ibgp.mac);
      expect(m.bridgePort).not.toBe(ibgp.bridgePort);
      expect(m.netns).not.toBe(ibgp.netns);
    }
    expect(ibgp.ipv4).toMatch(/^192\.0\.2\.\d+$/);
    expect(ibgp.frr.name).toBe('ironlb-lab-plan-test-ilb-ibgp');
  });

  it('lists the iBGP namespace among those `lab down` deletes', () => {
    expect(bgpNamespaces()).toContain(plan.ibgp.netns);
    expect(bgpNamespaces()).toContain(plan.router.netns);
  });
});
