import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  PatchStrategy,
  setHeaderOptions,
  type CoreV1Event,
  type V1Service,
  type V1ServicePort,
} from '@kubernetes/client-node';
import { labConfig } from '../../lab/config.js';
import { run } from '../../lab/exec.js';
import { kubeClients, labKubeconfigPath } from './kube.js';
import { waitFor } from './wait.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

/** kubectl of the lab's Kubernetes version against the lab API server. */
export async function kubectl(args: readonly string[], input?: string): Promise<string> {
  const bin = join(labConfig().k8sBinDir, 'kubectl');
  const full = ['--kubeconfig', labKubeconfigPath(), ...args];
  return (await run(bin, full, input === undefined ? {} : { input })).stdout;
}

/** Installs (server-side applies) the chart's CRDs and waits until they are served. */
export async function installCrds(): Promise<void> {
  await kubectl(['apply', '--server-side', '--force-conflicts', '-f', join(ROOT, 'charts/ironlb/crds/')]);
  await kubectl([
    'wait',
    '--for=condition=Established',
    'crd/ippools.ironlb.io',
    'crd/l2announcements.ironlb.io',
  ]);
}

/** Applies YAML (any number of documents). */
export async function apply(yaml: string): Promise<void> {
  await kubectl(['apply', '-f', '-'], yaml);
}

export async function deleteObjects(kind: string, names: readonly string[]): Promise<void> {
  if (names.length === 0) return;
  await kubectl(['delete', kind, '--ignore-not-found', '--wait=false', ...names]);
}

export interface LbServiceOptions {
  namespace: string;
  name: string;
  ports?: V1ServicePort[];
  externalTrafficPolicy?: 'Cluster' | 'Local';
  selector?: Record<string, string>;
  annotations?: Record<string, string>;
  ipFamilyPolicy?: 'SingleStack' | 'PreferDualStack' | 'RequireDualStack';
  ipFamilies?: ('IPv4' | 'IPv6')[];
  /** spec.loadBalancerClass: a suite's own class keeps speakers of other suites away from its Services. */
  loadBalancerClass?: string;
  /** false spares the lab's node ports (speaker suites need none). */
  allocateLoadBalancerNodePorts?: boolean;
}

export async function createLbService(o: LbServiceOptions): Promise<V1Service> {
  const { core } = kubeClients();
  return core.createNamespacedService({
    namespace: o.namespace,
    body: {
      metadata: { name: o.name, annotations: o.annotations },
      spec: {
        type: 'LoadBalancer',
        selector: o.selector ?? { app: o.name },
        ports: o.ports ?? [{ port: 80, protocol: 'TCP' }],
        externalTrafficPolicy: o.externalTrafficPolicy ?? 'Cluster',
        ipFamilyPolicy: o.ipFamilyPolicy,
        ipFamilies: o.ipFamilies,
        loadBalancerClass: o.loadBalancerClass,
        allocateLoadBalancerNodePorts: o.allocateLoadBalancerNodePorts,
      },
    },
  });
}

/** Writes status.loadBalancer.ingress as the controller would (speaker tests run without the controller). */
export async function setIngress(o: {
  namespace: string;
  name: string;
  ips: readonly string[];
}): Promise<void> {
  const { core } = kubeClients();
  await core.patchNamespacedServiceStatus(
    {
      namespace: o.namespace,
      name: o.name,
      body: { status: { loadBalancer: { ingress: o.ips.map((ip) => ({ ip, ipMode: 'VIP' })) } } },
    },
    mergePatch,
  );
}

/**
 * An IPv6-only LoadBalancer Service of `loadBalancerClass` (sparing the lab's small IPv4 Service CIDR and its
 * node ports) with `ip` written into its status as the controller would, for speaker suites that run without
 * a controller. Returns the time of the status write (Date.now()).
 */
export async function createAnnouncedService(o: {
  namespace: string;
  name: string;
  loadBalancerClass: string;
  ip: string;
}): Promise<number> {
  await createLbService({
    namespace: o.namespace,
    name: o.name,
    loadBalancerClass: o.loadBalancerClass,
    ipFamilyPolicy: 'SingleStack',
    ipFamilies: ['IPv6'],
    allocateLoadBalancerNodePorts: false,
  });
  await setIngress({ namespace: o.namespace, name: o.name, ips: [o.ip] });
  return Date.now();
}

/** Core/v1 view of the events about a Service (what `kubectl describe svc` shows). */
export async function serviceEvents(o: {
  namespace: string;
  name: string;
  reason?: string;
}): Promise<CoreV1Event[]> {
  const { core } = kubeClients();
  const list = await core.listNamespacedEvent({
    namespace: o.namespace,
    fieldSelector: `involvedObject.kind=Service,involvedObject.name=${o.name}`,
  });
  return list.items.filter((e) => o.reason === undefined || e.reason === o.reason);
}

/**
 * Waits for the first event with `reason` about the Service (whose message includes `contains`, if given) and
 * returns it.
 */
export async function waitForEvent(o: {
  namespace: string;
  name: string;
  reason: string;
  contains?: string;
  timeoutMs?: number;
}): Promise<CoreV1Event> {
  const contains = o.contains;
  return waitFor(
    async () => {
      const events = await serviceEvents(o);
      return contains === undefined ? events[0] : events.find((e) => (e.message ?? '').includes(contains));
    },
    {
      what: `${o.reason} event on ${o.namespace}/${o.name}${contains === undefined ? '' : ` containing "${contains}"`}`,
      timeoutMs: o.timeoutMs ?? 30_000,
    },
  );
}
