import { describe, expect, it } from 'vitest';
import { labConfig } from '../config.js';
import {
  MAX_REAL_NODES,
  POD_CLUSTER_CIDR,
  cniConflist,
  containerdToml,
  kubeProxyYaml,
  kubeletYaml,
  podSubnet,
  realNodeLayout,
} from './node-files.js';

/** [first, last] address of an IPv4 prefix as 32-bit numbers. */
function range(cidr: string): [number, number] {
  const [ip = '', bits = ''] = cidr.split('/');
  const n = ip.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
  const size = 2 ** (32 - Number(bits));
  return [n, n + size - 1];
}

function overlaps(a: string, b: string): boolean {
  const [a0, a1] = range(a);
  const [b0, b1] = range(b);
  return a0 <= b1 && b0 <= a1;
}

describe('real lab node files', () => {
  const config = labConfig({ IRONLB_LAB_DIR: '/tmp/lab-x', IRONLB_LAB_MODE: 'real' });
  const [node1, node2] = config.nodes;
  if (!node1 || !node2) throw new Error('expected at least two lab nodes');
  const layout = realNodeLayout(config, node1);

  it('gives every node its own /28 inside the cluster CIDR, disjoint from each other', () => {
    const subnets = Array.from({ length: MAX_REAL_NODES }, (_, i) => podSubnet(i));
    expect(subnets).toEqual(['198.51.100.192/28', '198.51.100.208/28', '198.51.100.224/28']);
    for (const s of subnets) expect(overlaps(s, POD_CLUSTER_CIDR)).toBe(true);
    expect(overlaps(subnets[0] ?? '', subnets[1] ?? '')).toBe(false);
    expect(() => podSubnet(MAX_REAL_NODES)).toThrow(/outside/);
  });

  it('keeps pod subnets clear of addresses the e2e suites announce (198.51.100.0/28, .160/27, .250)', () => {
    for (let i = 0; i < MAX_REAL_NODES; i++) {
      for (const used of ['198.51.100.0/28', '198.51.100.160/27', '198.51.100.250/32']) {
        expect(overlaps(podSubnet(i), used)).toBe(false);
      }
    }
  });

  it('places state under the lab directory and the cgroup under the lab name', () => {
    expect(layout.dir).toBe('/tmp/lab-x/real/ilb-node-1');
    expect(layout.cgroup).toBe('/lab-x/ilb-node-1');
    expect(layout.systemCgroup).toBe('/lab-x/ilb-node-1/system');
    expect(realNodeLayout(config, node2).podSubnet).toBe('198.51.100.208/28');
  });

  it('configures containerd with its own root, state, socket, pause image and no negative OOM scores', () => {
    const toml = containerdToml(layout, 'localhost/pause:1');
    expect(toml).toContain('root = "/tmp/lab-x/real/ilb-node-1/containerd/root"');
    expect(toml).toContain('address = "/tmp/lab-x/real/ilb-node-1/containerd/containerd.sock"');
    expect(toml).toContain('sandbox_image = "localhost/pause:1"');
    expect(toml).toContain('restrict_oom_score_adj = true');
    expect(toml).toContain('SystemdCgroup = false');
  });

  it('hands out pod addresses from the node subnet with the node as gateway', () => {
    const conf = JSON.parse(cniConflist(layout)) as {
      plugins: { type: string; isGateway: boolean; ipam: { ranges: { subnet: string }[][] } }[];
    };
    expect(conf.plugins[0]?.type).toBe('bridge');
    expect(conf.plugins[0]?.isGateway).toBe(true);
    expect(conf.plugins[0]?.ipam.ranges).toEqual([[{ subnet: '198.51.100.192/28' }]]);
  });

  it('runs kubelet on cgroup v1 with cgroupfs under the node cgroup root', () => {
    const yaml = kubeletYaml(layout, { caFile: '/ca.crt' });
    expect(yaml).toContain('failCgroupV1: false');
    expect(yaml).toContain('cgroupDriver: cgroupfs');
    expect(yaml).toContain('cgroupRoot: /lab-x/ilb-node-1');
    expect(yaml).toContain(
      'containerRuntimeEndpoint: unix:///tmp/lab-x/real/ilb-node-1/containerd/containerd.sock',
    );
  });

  it('runs kube-proxy in nftables mode without touching machine-wide conntrack settings', () => {
    const yaml = kubeProxyYaml(layout, { kubeconfig: '/kp.kubeconfig' });
    expect(yaml).toContain('mode: nftables');
    expect(yaml).toContain('hostnameOverride: ilb-node-1');
    expect(yaml).toContain('maxPerCore: 0');
  });

  it('reads the lab mode from the environment and rejects unknown modes', () => {
    expect(labConfig({}).mode).toBe('stand-in');
    expect(config.mode).toBe('real');
    expect(() => labConfig({ IRONLB_LAB_MODE: 'virtual' })).toThrow(/IRONLB_LAB_MODE/);
  });
});
