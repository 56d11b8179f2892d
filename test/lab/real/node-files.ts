import { basename, join } from 'node:path';
import type { LabConfig, LabMember } from '../config.js';

/**
 * Files and names of one real lab node (IRONLB_LAB_MODE=real): containerd, kubelet and kube-proxy run inside the
 * node's network namespace with their own state under `<lab dir>/real/<node>` and their own cgroup subtree.
 * Everything here is computed from the lab config; nothing touches the system.
 */
export interface RealNodeLayout {
  readonly node: LabMember;
  readonly dir: string;
  readonly containerdConfig: string;
  readonly containerdSocket: string;
  readonly cniConfDir: string;
  /**
   * containerd's `conf_template`: once the kubelet passes the Node's `spec.podCIDRs` (CRI UpdateRuntimeConfig),
   * containerd renders it into `<cniConfDir>/10-containerd-net.conflist`. Outside cniConfDir, so it is never
   * loaded as a configuration itself.
   */
  readonly cniTemplate: string;
  readonly cniIpamDir: string;
  readonly kubeletConfig: string;
  readonly kubeletRoot: string;
  readonly kubeProxyConfig: string;
  readonly podLogs: string;
  /** Bind-mounted over /var/log/containers inside the node's mount namespace. */
  readonly containerLogLinks: string;
  readonly resolvConf: string;
  /** Cgroup of the node, relative to each v1 hierarchy root (kubelet's cgroupRoot). */
  readonly cgroup: string;
  /** Where the node's own processes (anchor, containerd and its shims, kubelet, kube-proxy) live. */
  readonly systemCgroup: string;
}

/**
 * The cluster's pod ranges (kube-controller-manager --cluster-cidr, kube-proxy clusterCIDR). The node IPAM controller
 * gives every Node one IPv4 /28 and one IPv6 /64 of them (`spec.podCIDRs`). No e2e pool uses 198.51.100.192/26 and
 * nothing else in the repository uses 2001:db8:42::/56.
 */
export const POD_CLUSTER_CIDRS = { ipv4: '198.51.100.192/26', ipv6: '2001:db8:42::/56' } as const;
export const POD_NODE_MASK_SIZES = { ipv4: 28, ipv6: 64 } as const;
/**
 * At most this many real nodes. The /26 holds four /28s and the allocator hands them out from the lowest free one,
 * so three nodes get 198.51.100.192-239; the fourth /28 holds 198.51.100.250, which e2e suites announce.
 */
export const MAX_REAL_NODES = 3;
/** Name of the file containerd renders from `conf_template` (fixed in containerd 1.6's CRI plugin). */
export const CNI_RENDERED_CONFLIST = '10-containerd-net.conflist';

export function realNodeLayout(config: LabConfig, node: LabMember): RealNodeLayout {
  const dir = join(config.dir, 'real', node.netns);
  // One cgroup subtree per lab directory, so a sandboxed lab never shares cgroups with another lab.
  const cgroup = `/${basename(config.dir)}/${node.netns}`;
  return {
    node,
    dir,
    containerdConfig: join(dir, 'containerd', 'config.toml'),
    containerdSocket: join(dir, 'containerd', 'containerd.sock'),
    cniConfDir: join(dir, 'cni', 'net.d'),
    cniTemplate: join(dir, 'cni', 'conflist.tmpl'),
    cniIpamDir: join(dir, 'cni', 'ipam'),
    kubeletConfig: join(dir, 'kubelet.yaml'),
    kubeletRoot: join(dir, 'kubelet'),
    kubeProxyConfig: join(dir, 'kube-proxy.yaml'),
    podLogs: join(dir, 'pod-logs'),
    containerLogLinks: join(dir, 'container-logs'),
    resolvConf: join(dir, 'resolv.conf'),
    cgroup,
    systemCgroup: `${cgroup}/system`,
  };
}

/**
 * containerd 1.6 (config version 2). restrict_oom_score_adj: the lab runs without CAP_SYS_RESOURCE, so the
 * sandbox's oom_score_adj of -998 cannot be written and runc fails ("can't get final child's PID from pipe").
 */
export function containerdToml(layout: RealNodeLayout, sandboxImage: string): string {
  const d = join(layout.dir, 'containerd');
  const cri = 'plugins."io.containerd.grpc.v1.cri"';
  return [
    'version = 2',
    `root = "${join(d, 'root')}"`,
    `state = "${join(d, 'state')}"`,
    '[grpc]',
    `  address = "${layout.containerdSocket}"`,
    '[ttrpc]',
    `  address = "${layout.containerdSocket}.ttrpc"`,
    '[metrics]',
    '  address = ""',
    `[${cri}]`,
    `  sandbox_image = "${sandboxImage}"`,
    '  disable_apparmor = true',
    '  restrict_oom_score_adj = true',
    `[${cri}.containerd]`,
    '  snapshotter = "overlayfs"',
    '  default_runtime_name = "runc"',
    `[${cri}.containerd.runtimes.runc]`,
    '  runtime_type = "io.containerd.runc.v2"',
    `[${cri}.containerd.runtimes.runc.options]`,
    '  SystemdCgroup = false',
    `  Root = "${join(d, 'runc')}"`,
    `[${cri}.cni]`,
    '  bin_dir = "/usr/lib/cni"',
    `  conf_dir = "${layout.cniConfDir}"`,
    `  conf_template = "${layout.cniTemplate}"`,
    '',
  ].join('\n');
}

/**
 * CNI template (Go text/template, rendered by containerd with the node's pod CIDRs in the Node's order, IPv4 first):
 * a bridge `cni0` in the node namespace (the pods' gateway: the first address of each range) and host-local
 * addresses from every range, so pods are dual-stack. `.Routes` are the default routes of the families present.
 */
export function cniConfTemplate(layout: RealNodeLayout): string {
  const ranges = '[{{range $i, $r := .PodCIDRRanges}}{{if $i}}, {{end}}[{"subnet": "{{$r}}"}]{{end}}]';
  const routes = '[{{range $i, $r := .Routes}}{{if $i}}, {{end}}{"dst": "{{$r}}"}{{end}}]';
  return [
    '{',
    '  "cniVersion": "1.0.0",',
    '  "name": "ilb-pods",',
    '  "plugins": [',
    '    {',
    '      "type": "bridge",',
    '      "bridge": "cni0",',
    '      "isGateway": true,',
    '      "ipMasq": false,',
    '      "hairpinMode": true,',
    '      "ipam": {',
    '        "type": "host-local",',
    `        "ranges": ${ranges},`,
    `        "routes": ${routes},`,
    `        "dataDir": ${JSON.stringify(layout.cniIpamDir)}`,
    '      }',
    '    }',
    '  ]',
    '}',
    '',
  ].join('\n');
}

/**
 * kubelet v1.36 on this machine: cgroup v1 (failCgroupV1: false), cgroupfs driver under the node's own cgroup
 * root, no swap check, no cluster DNS. The apiserver authenticates with the lab CA's admin certificate.
 */
export function kubeletYaml(layout: RealNodeLayout, options: { caFile: string }): string {
  return [
    'apiVersion: kubelet.config.k8s.io/v1beta1',
    'kind: KubeletConfiguration',
    'failCgroupV1: false',
    'cgroupDriver: cgroupfs',
    `cgroupRoot: ${layout.cgroup}`,
    `containerRuntimeEndpoint: unix://${layout.containerdSocket}`,
    // All addresses of the node namespace only (the apiserver reaches it over IPv6).
    "address: '::'",
    'port: 10250',
    'readOnlyPort: 0',
    'healthzBindAddress: 127.0.0.1',
    'healthzPort: 10248',
    'authentication:',
    '  anonymous: {enabled: false}',
    '  webhook: {enabled: false}',
    `  x509: {clientCAFile: ${options.caFile}}`,
    'authorization: {mode: AlwaysAllow}',
    'clusterDomain: cluster.local',
    `resolvConf: ${layout.resolvConf}`,
    `podLogsDir: ${layout.podLogs}`,
    'failSwapOn: false',
    'maxPods: 16',
    'nodeStatusUpdateFrequency: 10s',
    // Images are imported, never pulled: keep them.
    'imageGCHighThresholdPercent: 100',
    'imageGCLowThresholdPercent: 99',
    'evictionHard: {memory.available: 50Mi}',
    '',
  ].join('\n');
}

/** kube-proxy in nftables mode; it leaves the machine-wide conntrack sysctls alone. */
export function kubeProxyYaml(layout: RealNodeLayout, options: { kubeconfig: string }): string {
  return [
    'apiVersion: kubeproxy.config.k8s.io/v1alpha1',
    'kind: KubeProxyConfiguration',
    'mode: nftables',
    'clientConnection:',
    `  kubeconfig: ${options.kubeconfig}`,
    `hostnameOverride: ${layout.node.netns}`,
    `clusterCIDR: ${POD_CLUSTER_CIDRS.ipv4},${POD_CLUSTER_CIDRS.ipv6}`,
    'healthzBindAddress: 0.0.0.0:10256',
    'metricsBindAddress: 127.0.0.1:10249',
    'conntrack:',
    '  maxPerCore: 0',
    '  min: 0',
    '  tcpEstablishedTimeout: 0s',
    '  tcpCloseWaitTimeout: 0s',
    'nodePortAddresses: [primary]',
    '',
  ].join('\n');
}
