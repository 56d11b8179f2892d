import type { V1Pod } from '@kubernetes/client-node';
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { labConfig } from '../../lab/config.js';
import type { LabConfig } from '../../lab/config.js';
import { kubeClients } from './kube.js';

export interface ReadyPodOptions {
  readonly namespace: string;
  readonly name: string;
  /** Lab node (== network namespace) the pod is bound to via spec.nodeName. */
  readonly node: string;
  readonly labels?: Record<string, string>;
  /** Container port to declare (informational; nothing listens on pod IPs). */
  readonly port?: number;
}

function podIps(config: LabConfig, index: number): [string, string] {
  const v4Base = Number(config.podIpv4Base.split('.').pop());
  const v6Base = Number.parseInt(config.podIpv6Base.split(':').pop() ?? '0', 16);
  const v4 = config.podIpv4Base.replace(/\d+$/, `${v4Base + index}`);
  const v6 = config.podIpv6Base.replace(/[0-9a-f]+$/, (v6Base + index).toString(16));
  return [v4, v6];
}

async function freePodIps(config: LabConfig): Promise<[string, string]> {
  const { core } = kubeClients();
  const used = new Set(
    (await core.listPodForAllNamespaces()).items.flatMap((p) => (p.status?.podIPs ?? []).map((i) => i.ip)),
  );
  for (let i = 0; i < config.podIpCount; i++) {
    const ips = podIps(config, i);
    if (!used.has(ips[0])) return ips;
  }
  throw new Error(`no free stand-in pod IP left in ${config.podIpv4Base}/26`);
}

/**
 * Creates a pod bound to `node` (no scheduler, no kubelet) and marks it Running and Ready through the status
 * subresource with a free pod IP pair from 192.0.2.64/26 + 2001:db8::a:40/122, so the real EndpointSlice controller
 * lists it. `terminationGracePeriodSeconds: 0` makes deletion immediate (nothing would finish a graceful one).
 */
export async function createReadyPod(options: ReadyPodOptions): Promise<V1Pod> {
  const config = labConfig();
  const { core } = kubeClients();
  const [v4, v6] = await freePodIps(config);
  const node = config.nodes.find((n) => n.netns === options.node);
  if (!node) throw new Error(`unknown lab node ${options.node}`);
  await core.createNamespacedPod({
    namespace: options.namespace,
    body: {
      metadata: { name: options.name, labels: options.labels ?? {} },
      spec: {
        nodeName: options.node,
        terminationGracePeriodSeconds: 0,
        automountServiceAccountToken: false,
        containers: [
          {
            name: 'app',
            image: 'ironlb.invalid/stand-in:0',
            ports: options.port === undefined ? [] : [{ containerPort: options.port }],
          },
        ],
      },
    },
  });
  const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
  const conditions = ['PodScheduled', 'Initialized', 'ContainersReady', 'Ready'].map((type) => ({
    type,
    status: 'True',
    lastTransitionTime: now,
  }));
  return core.patchNamespacedPodStatus(
    {
      name: options.name,
      namespace: options.namespace,
      body: {
        status: {
          phase: 'Running',
          conditions,
          hostIP: node.ipv4,
          hostIPs: [{ ip: node.ipv4 }, { ip: node.ipv6 }],
          podIP: v4,
          podIPs: [{ ip: v4 }, { ip: v6 }],
          startTime: now,
        },
      },
    },
    setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
  );
}
