/**
 * Helpers of the e2e-real suites: ironlb installed by Helm on the real-node lab (see global-setup.ts). Workloads are
 * real pods of the lab's echo image (answers "<pod> <node>"), reached from the lab client through the real
 * kube-proxy. Only the lab client, the LAN namespace and node namespaces send anything (never the root namespace).
 */
import { join } from 'node:path';
import type { V1ContainerStatus, V1Pod } from '@kubernetes/client-node';
import { labConfig } from '../lab/config.js';
import { run } from '../lab/exec.js';
import { readImages } from '../lab/real/real-node.js';
import { RELEASE_NAMESPACE } from '../lab/real/helm-install.js';
import type { L2Capture } from '../e2e/support/index.js';
import {
  httpGetFromClient,
  kubeClients,
  kubectl,
  labKubeconfigPath,
  labNode,
  labNodes,
  netnsExec,
  waitFor,
} from '../e2e/support/index.js';

export const SPEAKER_METRICS_PORT = 7473;

/** The echo image's reference (images.tsv of build-images.sh). */
export function echoImage(): string {
  const image = readImages(labConfig().imagesIndex).get('echo');
  if (image === undefined)
    throw new Error('e2e-real: no echo image in the images index; run build-images.sh');
  return image.ref;
}

/** A Deployment of the echo image; `node` pins every replica to one node, else replicas spread over the nodes. */
export function echoDeployment(o: {
  namespace: string;
  name: string;
  replicas: number;
  node?: string;
}): string {
  const placement =
    o.node === undefined
      ? `      topologySpreadConstraints:
      - {maxSkew: 1, topologyKey: kubernetes.io/hostname, whenUnsatisfiable: DoNotSchedule, labelSelector: {matchLabels: {app: ${o.name}}}}`
      : `      nodeSelector: {kubernetes.io/hostname: ${o.node}}`;
  return `apiVersion: apps/v1
kind: Deployment
metadata: {name: ${o.name}, namespace: ${o.namespace}}
spec:
  replicas: ${o.replicas}
  selector: {matchLabels: {app: ${o.name}}}
  template:
    metadata: {labels: {app: ${o.name}}}
    spec:
${placement}
      terminationGracePeriodSeconds: 2
      containers:
      - name: echo
        image: ${echoImage()}
        imagePullPolicy: Never
        ports: [{containerPort: 8080}]
        env:
        - {name: POD_NAME, valueFrom: {fieldRef: {fieldPath: metadata.name}}}
        - {name: NODE_NAME, valueFrom: {fieldRef: {fieldPath: spec.nodeName}}}
        readinessProbe: {httpGet: {path: /, port: 8080}, periodSeconds: 2, timeoutSeconds: 3}
        resources: {requests: {cpu: 10m, memory: 32Mi}, limits: {memory: 96Mi}}
`;
}

/** A LoadBalancer Service (no class: the Helm install handles class-less Services) on port 80 → 8080. */
export function lbService(o: { namespace: string; name: string; policy: 'Cluster' | 'Local' }): string {
  return `apiVersion: v1
kind: Service
metadata: {name: ${o.name}, namespace: ${o.namespace}}
spec:
  type: LoadBalancer
  externalTrafficPolicy: ${o.policy}
  selector: {app: ${o.name}}
  ports: [{port: 80, targetPort: 8080}]
`;
}

/** An IPPool with these addresses and an L2Announcement of the same name covering it (as a user applies them). */
export function poolWithL2Announcement(o: { pool: string; addresses: readonly string[] }): string {
  const addresses = o.addresses.map((a) => `"${a}"`).join(', ');
  return [
    `apiVersion: ironlb.io/v1alpha1\nkind: IPPool\nmetadata: {name: ${o.pool}}\nspec:\n  addresses: [${addresses}]`,
    `apiVersion: ironlb.io/v1alpha1\nkind: L2Announcement\nmetadata: {name: ${o.pool}}\nspec:\n  ipPools: [${o.pool}]`,
  ].join('\n---\n');
}

/** `kubectl rollout status` with a 300 s bound (the e2e `kubectl` helper would stop it after 30 s). */
export async function rolloutStatus(o: { namespace: string; workload: string }): Promise<void> {
  const bin = join(labConfig().k8sBinDir, 'kubectl');
  const args = ['--kubeconfig', labKubeconfigPath(), 'rollout', 'status', o.workload, '-n', o.namespace];
  await run(bin, [...args, '--timeout=300s'], { timeoutMs: 310_000 }).catch((error: unknown) =>
    failWithPods(o.namespace, `${o.workload} did not roll out: ${String(error)}`),
  );
}

/** Throws `message` with `kubectl get pods -o wide` of the namespace appended, for a wait on pods that failed. */
async function failWithPods(namespace: string, message: string): Promise<never> {
  const pods = await kubectl(['get', 'pods', '-n', namespace, '-o', 'wide']).catch(() => '');
  throw new Error(`${message}\n${pods}`);
}

/** The Service's first ingress IP once the controller wrote it. */
export async function externalIp(o: { namespace: string; name: string }): Promise<string> {
  const { core } = kubeClients();
  return waitFor(async () => (await core.readNamespacedService(o)).status?.loadBalancer?.ingress?.[0]?.ip, {
    what: `EXTERNAL-IP of ${o.namespace}/${o.name}`,
    timeoutMs: 60_000,
    intervalMs: 500,
  });
}

/** Pod name → node name of the running pods labelled app=<app>. */
export async function podNodes(o: { namespace: string; app: string }): Promise<Map<string, string>> {
  const pods = await kubeClients().core.listNamespacedPod({
    namespace: o.namespace,
    labelSelector: `app=${o.app}`,
  });
  return new Map(pods.items.map((p) => [p.metadata?.name ?? '', p.spec?.nodeName ?? '']));
}

export interface EchoAnswer {
  readonly pod: string;
  readonly node: string;
}

/** GET http://<ip>/ from the lab client; the echo pod's "<pod> <node>" answer, or the failure as text. */
export async function echoFromClient(ip: string, timeoutMs = 3000): Promise<EchoAnswer | string> {
  const res = await httpGetFromClient({ ip, port: 80, timeoutMs });
  if (!res.ok) return res.error;
  const [pod = '', node = ''] = res.body.trim().split(' ');
  return res.status === 200 && pod !== '' && node !== '' ? { pod, node } : `HTTP ${res.status} ${res.body}`;
}

/**
 * The first echo answer from `ip`: the speaker may announce an IP a moment before kube-proxy on that node has
 * programmed it (both follow the same EndpointSlice independently), so early requests can time out.
 */
export function firstEchoAnswer(ip: string, timeoutMs = 60_000): Promise<EchoAnswer> {
  return waitFor(
    async () => {
      const answer = await echoFromClient(ip);
      return typeof answer === 'string' ? undefined : answer;
    },
    { what: `an echo answer from ${ip}`, timeoutMs, intervalMs: 500 },
  );
}

/** The node whose MAC alone answers an ARP request for `ip` on the LAN (seen by the client's packet socket). */
export function announcer(capture: L2Capture, ip: string, timeoutMs = 30_000): Promise<string> {
  const byMac = new Map(labNodes().map((n) => [labNode(n).mac.toLowerCase(), n]));
  return waitFor(
    async () => {
      const macs = await capture.whoAnswers(ip);
      return macs.length === 1 ? byMac.get(macs[0] ?? '') : undefined;
    },
    { what: `exactly one node answering ARP for ${ip}`, timeoutMs, intervalMs: 100 },
  );
}

/**
 * Removes the client's neighbour entry for `ip`, also a permanent one (`ip neigh flush`, which flushNeighbour of
 * the e2e support uses, skips permanent entries: a static entry would outlive the test and misroute later runs).
 */
export async function deleteClientNeighbour(ip: string): Promise<void> {
  await netnsExec(labConfig().client.netns, ['ip', 'neigh', 'del', ip, 'dev', 'eth0']);
}

/** A label-less metric of the speaker on `node` (host network: read inside the node's namespace). */
export async function speakerMetric(node: string, name: string): Promise<number> {
  const url = `http://127.0.0.1:${SPEAKER_METRICS_PORT}/metrics`;
  const { stdout } = await netnsExec(node, ['curl', '-s', '-m', '5', url]);
  const line = stdout.split('\n').find((l) => l.startsWith(`${name} `));
  const value = Number(line?.slice(name.length + 1));
  if (line === undefined || Number.isNaN(value))
    throw new Error(`${node}: no ${name} in the speaker's /metrics`);
  return value;
}

/** Waits until every speaker hears all the others again (after a link flap or a pod replacement). */
export async function speakersHearEachOther(timeoutMs = 120_000): Promise<void> {
  const nodes = labNodes();
  await waitFor(
    async () => {
      for (const node of nodes) {
        if ((await speakerMetric(node, 'ironlb_speaker_members_alive')) !== nodes.length) return false;
        if ((await speakerMetric(node, 'ironlb_speaker_view_stale')) !== 0) return false;
      }
      return true;
    },
    { what: `every speaker hearing all ${nodes.length} with a fresh view`, timeoutMs, intervalMs: 500 },
  );
}

/** The chart's `app.kubernetes.io/component` label of a release pod: 'controller' or 'speaker'. */
export function component(pod: V1Pod): string | undefined {
  return pod.metadata?.labels?.['app.kubernetes.io/component'];
}

export async function ironlbPods(): Promise<V1Pod[]> {
  return (await kubeClients().core.listNamespacedPod({ namespace: RELEASE_NAMESPACE })).items;
}

/**
 * The component's pods once `gone` is no longer listed and `count` of them are Running and Ready with no restarts.
 * After a force-delete, `kubectl rollout status` can pass on the workload status written before its controller saw
 * the deletion (the replacement pod may not exist yet), so tests that replace a pod wait here instead.
 */
export async function replacedPods(o: {
  component: 'controller' | 'speaker';
  gone: string;
  count: number;
}): Promise<V1Pod[]> {
  return waitFor(
    async () => {
      const pods = (await ironlbPods()).filter((p) => component(p) === o.component);
      const healthy = pods.length === o.count && pods.flatMap(podProblems).length === 0;
      return healthy && !pods.some((p) => p.metadata?.name === o.gone) ? pods : undefined;
    },
    {
      what: `${o.count} ${o.component} pods Running and Ready without ${o.gone}`,
      timeoutMs: 180_000,
      intervalMs: 500,
    },
  ).catch((error: unknown) => failWithPods(RELEASE_NAMESPACE, String(error)));
}

function containerProblems(pod: string, c: V1ContainerStatus): string[] {
  const problems: string[] = [];
  if (c.restartCount !== 0) problems.push(`${pod}/${c.name}: ${c.restartCount} restarts`);
  const reasons = [c.state?.terminated?.reason, c.lastState?.terminated?.reason];
  if (reasons.includes('OOMKilled')) problems.push(`${pod}/${c.name}: OOMKilled`);
  if (!c.ready) problems.push(`${pod}/${c.name}: not ready`);
  return problems;
}

/** What is wrong with a pod of the release: restarts, OOM kills, not ready (empty: healthy). */
export function podProblems(pod: V1Pod): string[] {
  const name = pod.metadata?.name ?? '?';
  const statuses = pod.status?.containerStatuses ?? [];
  return [
    ...(pod.status?.phase === 'Running' ? [] : [`${name}: phase ${pod.status?.phase}`]),
    ...(statuses.length === 0 ? [`${name}: no container status`] : []),
    ...statuses.flatMap((c) => containerProblems(name, c)),
  ];
}
