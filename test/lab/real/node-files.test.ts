import { describe, expect, it } from 'vitest';
import { labConfig } from '../config.js';
import {
  MAX_REAL_NODES,
  POD_CLUSTER_CIDRS,
  POD_NODE_MASK_SIZES,
  cniConfTemplate,
  containerdToml,
  kubeProxyYaml,
  kubeletYaml,
  realNodeLayout,
} from './node-files.js';

/** [first, last] address of an IPv4 prefix as 32-bit numbers. */
function range(cidr: string): [number, number] {
  const [ip = '', bits = ''] = cidr.split('/');
  const n = ip.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
  const size = 2 ** (32 - Number(bits));
  return [n, n + size - 1];
}

describe('real lab node files', () => {
  const config = labConfig({ IRONLB_LAB_DIR: '/tmp/lab-x', IRONLB_LAB_MODE: 'real' });
  const [node1, node2] = config.nodes;
  if (!node1 || !node2) throw new Error('expected at least two lab nodes');
  const layout = realNodeLayout(config, node1);

  it('lets the allocator hand out /28s in order: the first MAX_REAL_NODES stay clear of e2e addresses', () => {
    const [first, last] = range(POD_CLUSTER_CIDRS.ipv4);
    const size = 2 ** (32 - POD_NODE_MASK_SIZES.ipv4);
    expect((last - first + 1) / size).toBeGreaterThanOrEqual(MAX_REAL_NODES);
    const allocated = Array.from({ length: MAX_REAL_NODES }, (_, i) => first + i * size);
    for (const start of allocated) {
      for (const used of ['198.51.100.0/28', '198.51.100.160/27', '198.51.100.250/32']) {
        const [u0, u1] = range(used);
        expect(start > u1 || start + size - 1 < u0).toBe(true);
      }
    }
  });

  it('keeps the IPv6 pod range inside 2001:db8::/32 with room for a /64 per node', () => {
    expect(POD_CLUSTER_CIDRS.ipv6).toBe('2001:db8:42::/56');
    expect(POD_NODE_MASK_SIZES.ipv6 - 56).toBeGreaterThan(0);
    expect(POD_NODE_MASK_SIZES.ipv6 - 56).toBeLessThanOrEqual(16);
  });

  it('places state under the lab directory and the cgroup under the lab name', () => {
    expect(layout.dir).toBe('/tmp/lab-x/real/ilb-node-1');
    expect(layout.cgroup).toBe('/lab-x/ilb-node-1');
    expect(layout.systemCgroup).toBe('/lab-x/ilb-node-1/system');
    expect(realNodeLayout(config, node2).cniTemplate).toBe('/tmp/lab-x/real/ilb-node-2/cni/conflist.tmpl');
  });

  it('configures containerd with its own root, state, socket, pause image and no negative OOM scores', () => {
    const toml = containerdToml(layout, 'localhost/pause:1');
    expect(toml).toContain('root = "/tmp/lab-x/real/ilb-node-1/containerd/root"');
    expect(toml).toContain('address = "/tmp/lab-x/real/ilb-node-1/containerd/containerd.sock"');
    expect(toml).toContain('sandbox_image = "localhost/pause:1"');
    expect(toml).toContain('restrict_oom_score_adj = true');
    expect(toml).toContain('SystemdCgroup = false');
    expect(toml).toContain('conf_dir = "/tmp/lab-x/real/ilb-node-1/cni/net.d"');
    expect(toml).toContain('conf_template = "/tmp/lab-x/real/ilb-node-1/cni/conflist.tmpl"');
  });

  it('renders, for dual-stack pod CIDRs, a bridge with one host-local range per family', () => {
    // What containerd's text/template does with `{{range $i, $r := .X}}{{if $i}}, {{end}}…{{end}}` for these
    // inputs, written out by hand for the two lists the template uses.
    const rendered = cniConfTemplate(layout)
      .replace(
        '{{range $i, $r := .PodCIDRRanges}}{{if $i}}, {{end}}[{"subnet": "{{$r}}"}]{{end}}',
        '[{"subnet": "198.51.100.208/28"}], [{"subnet": "2001:db8:42:1::/64"}]',
      )
      .replace(
        '{{range $i, $r := .Routes}}{{if $i}}, {{end}}{"dst": "{{$r}}"}{{end}}',
        '{"dst": "0.0.0.0/0"}, {"dst": "::/0"}',
      );
    expect(rendered).not.toContain('{{');
    const conf = JSON.parse(rendered) as {
      plugins: {
        type: string;
        isGateway: boolean;
        ipam: { type: string; ranges: { subnet: string }[][]; routes: { dst: string }[]; dataDir: string };
      }[];
    };
    expect(conf.plugins[0]?.type).toBe('bridge');
    expect(conf.plugins[0]?.isGateway).toBe(true);
    expect(conf.plugins[0]?.ipam.type).toBe('host-local');
    expect(conf.plugins[0]?.ipam.ranges).toEqual([
      [{ subnet: '198.51.100.208/28' }],
      [{ subnet: '2001:db8:42:1::/64' }],
    ]);
    expect(conf.plugins[0]?.ipam.routes).toEqual([{ dst: '0.0.0.0/0' }, { dst: '::/0' }]);
    expect(conf.plugins[0]?.ipam.dataDir).toBe('/tmp/lab-x/real/ilb-node-1/cni/ipam');
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
    expect(yaml).toContain('clusterCIDR: 198.51.100.192/26,2001:db8:42::/56');
  });

  it('reads the lab mode from the environment and rejects unknown modes', () => {
    expect(labConfig({}).mode).toBe('stand-in');
    expect(config.mode).toBe('real');
    expect(() => labConfig({ IRONLB_LAB_MODE: 'virtual' })).toThrow(/IRONLB_LAB_MODE/);
  });
});
