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
  /** IPv4 pod subnet (a /28 of 198.51.100.192/26, which no e2e pool uses). */
  readonly podSubnet: string;
}

/** At most this many real nodes: one /28 each out of 198.51.100.192/26 minus 198.51.100.240/28 (tests use .250). */
export const MAX_REAL_NODES = 3;
/** What kube-proxy treats as the cluster's pod range (masquerading decisions). */
export const POD_CLUSTER_CIDR = '198.51.100.192/26';

export function podSubnet(index: number): string {
  if (!Number.isInteger(index) || index < 0 || index >= MAX_REAL_NODES) {
    throw new Error(`real lab nodes: index ${index} outside 0..${MAX_REAL_NODES - 1}`);
  }
  return `198.51.100.${192 + 16 * index}/28`;
}

export function realNodeLayout(config: LabConfig, node: LabMember): RealNodeLayout {
  const index = config.nodes.findIndex((n) => n.netns === node.netns);
  const dir = join(config.dir, 'real', node.netns);
  // One cgroup subtree per lab directory, so a sandboxed lab never shares cgroups with another lab.
  const cgroup = `/${basename(config.dir)}/${node.netns}`;
  return {
    node,
    dir,
    containerdConfig: join(dir, 'containerd', 'config.toml'),
    containerdSocket: join(dir, 'containerd', 'containerd.sock'),
    cniConfDir: join(dir, 'cni', 'net.d'),
    kubeletConfig: join(dir, 'kubelet.yaml'),
    kubeletRoot: join(dir, 'kubelet'),
    kubeProxyConfig: join(dir, 'kube-proxy.yaml'),
    podLogs: join(dir, 'pod-logs'),
    containerLogLinks: join(dir, 'container-logs'),
    resolvConf: join(dir, 'resolv.conf'),
    cgroup,
    systemCgroup: `${cgroup}/system`,
    podSubnet: podSubnet(index),
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
    '',
  ].join('\n');
}

/** CNI: a bridge `cni0` in the node namespace (the pods' gateway) and host-local addresses from the node's /28. */
export function cniConflist(layout: RealNodeLayout): string {
  return JSON.stringify(
    {
      cniVersion: '1.0.0',
      name: 'ilb-pods',
      plugins: [
        {
          type: 'bridge',
          bridge: 'cni0',
          isGateway: true,
          ipMasq: false,
          hairpinMode: true,
          ipam: {
            type: 'host-local',
            ranges: [[{ subnet: layout.podSubnet }]],
            routes: [{ dst: '0.0.0.0/0' }],
            dataDir: join(layout.dir, 'cni', 'ipam'),
          },
        },
      ],
    },
    null,
    2,
  );
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
    `clusterCIDR: ${POD_CLUSTER_CIDR}`,
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
