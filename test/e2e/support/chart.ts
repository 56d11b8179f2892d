import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AuthorizationV1Api, CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { parseAllDocuments, stringify } from 'yaml';
import { run } from '../../lab/exec.js';
import { kubectl } from './ironlb.js';
import { labKubeconfigPath } from './kube.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const CHART = join(ROOT, 'charts/ironlb');

/** One object rendered by `helm template`. */
export interface ChartObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
  [field: string]: unknown;
}

export interface RenderedChart {
  readonly yaml: string;
  readonly objects: ChartObject[];
}

/** The helm binary: $IRONLB_HELM (scripts/toolchain.sh), else the cached build of test/lab/scripts/build-helm.sh. */
export async function helmBinary(): Promise<string> {
  if (process.env.IRONLB_HELM) return process.env.IRONLB_HELM;
  const { stdout } = await run('bash', [join(ROOT, 'test/lab/scripts/build-helm.sh')], {
    timeoutMs: 300_000,
  });
  const path = stdout.trim().split('\n').at(-1);
  if (!path) throw new Error('build-helm.sh printed no path');
  return path;
}

/** `helm template <release> charts/ironlb -n <namespace> -f <valuesFile>` parsed into objects. */
export async function renderChart(o: {
  release: string;
  namespace: string;
  valuesFile: string;
}): Promise<RenderedChart> {
  const helm = await helmBinary();
  const { stdout } = await run(helm, [
    'template',
    o.release,
    CHART,
    '--namespace',
    o.namespace,
    '--values',
    o.valuesFile,
  ]);
  const objects = parseAllDocuments(stdout)
    .map((d) => d.toJS() as ChartObject | null)
    .filter((x): x is ChartObject => x !== null);
  return { yaml: stdout, objects };
}

export function findObject(objects: readonly ChartObject[], o: { kind: string; name: string }): ChartObject {
  const found = objects.find((x) => x.kind === o.kind && x.metadata.name === o.name);
  if (found === undefined) throw new Error(`${o.kind} ${o.name} not rendered`);
  return found;
}

interface PodTemplateView {
  spec: { template: { spec: { containers: { args?: string[] }[] } } };
}

/** The first container's args of a rendered Deployment or DaemonSet. */
export function containerArgs(workload: ChartObject): string[] {
  return (workload as unknown as PodTemplateView).spec.template.spec.containers[0]?.args ?? [];
}

interface RuleView {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}

/** Every grant of a Role/ClusterRole as `group/resource:verb` (core group spelled `core`), sorted. */
export function grantsOf(role: ChartObject): string[] {
  const rules = (role as unknown as { rules: RuleView[] }).rules;
  return rules
    .flatMap((r) =>
      r.apiGroups.flatMap((g) =>
        r.resources.flatMap((res) => r.verbs.map((v) => `${g === '' ? 'core' : g}/${res}:${v}`)),
      ),
    )
    .sort();
}

/** Server-side apply of YAML with the lab admin; returns kubectl's per-object lines. */
export async function applyServerSide(yaml: string): Promise<string[]> {
  const out = await kubectl(['apply', '--server-side', '--field-manager=ironlb-chart-e2e', '-f', '-'], yaml);
  return out.trim().split('\n');
}

function adminConfig(): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(labKubeconfigPath());
  return kc;
}

/** A Pod object the token is bound to (what the kubelet does for a pod's projected token). */
export interface BoundPod {
  readonly name: string;
  readonly uid: string;
}

/**
 * A Pod for `serviceAccountName` on `node`, as the DaemonSet controller would create it. The lab runs no
 * containers; the Pod only exists so a TokenRequest can be bound to it: such a token carries the pod's node in
 * `user.extra["authentication.kubernetes.io/node-name"]`, like the token a real speaker pod gets.
 */
export async function createNodePod(o: {
  namespace: string;
  name: string;
  serviceAccountName: string;
  node: string;
}): Promise<BoundPod> {
  const pod = await adminConfig()
    .makeApiClient(CoreV1Api)
    .createNamespacedPod({
      namespace: o.namespace,
      body: {
        metadata: { name: o.name },
        spec: {
          nodeName: o.node,
          serviceAccountName: o.serviceAccountName,
          automountServiceAccountToken: false,
          containers: [{ name: 'speaker', image: 'ironlb:0.1.0' }],
        },
      },
    });
  const uid = pod.metadata?.uid;
  if (uid === undefined) throw new Error(`Pod ${o.namespace}/${o.name} has no uid`);
  return { name: o.name, uid };
}

/** Deletes Pods at once (no kubelet confirms a graceful deletion in the lab). */
export async function forceDeletePods(namespace: string, names: readonly string[]): Promise<void> {
  const core = adminConfig().makeApiClient(CoreV1Api);
  for (const name of names) {
    await core.deleteNamespacedPod({ namespace, name, gracePeriodSeconds: 0 }).catch(() => undefined);
  }
}

/**
 * A kubeconfig file for a ServiceAccount: a TokenRequest token (1 h), the lab CA and the API server URL, no
 * client certificate, so every request is authorised as `system:serviceaccount:<namespace>:<name>` only.
 * With `boundPod` the token is bound to that Pod (valid only while it exists) and names the Pod's node.
 */
export async function serviceAccountKubeconfig(o: {
  namespace: string;
  name: string;
  dir: string;
  boundPod?: BoundPod;
}): Promise<string> {
  const admin = adminConfig();
  const cluster = admin.getCurrentCluster();
  if (cluster === null) throw new Error('lab kubeconfig has no current cluster');
  const caData = cluster.caData ?? readFileSync(cluster.caFile ?? '').toString('base64');
  const token = await admin.makeApiClient(CoreV1Api).createNamespacedServiceAccountToken({
    namespace: o.namespace,
    name: o.name,
    body: {
      spec: {
        audiences: [],
        expirationSeconds: 3600,
        ...(o.boundPod === undefined
          ? {}
          : {
              boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: o.boundPod.name, uid: o.boundPod.uid },
            }),
      },
    },
  });
  const value = token.status?.token;
  if (!value) throw new Error(`TokenRequest for ${o.namespace}/${o.name} returned no token`);
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'lab', cluster: { server: cluster.server, 'certificate-authority-data': caData } }],
    users: [{ name: o.name, user: { token: value } }],
    contexts: [{ name: o.name, context: { cluster: 'lab', user: o.name } }],
    'current-context': o.name,
  };
  const path = join(o.dir, `${o.boundPod?.name ?? o.name}.kubeconfig`);
  writeFileSync(path, stringify(config), { mode: 0o600 });
  return path;
}

export interface AccessQuestion {
  readonly verb: string;
  /** `group/resource[/subresource]` with `core` for the core group, as `grantsOf` spells it. */
  readonly resource: string;
  /** Omit for a cluster-wide question. */
  readonly namespace?: string;
}

/** Parses `group/resource[/subresource]:verb` (the `grantsOf` spelling). */
export function question(grant: string, namespace?: string): AccessQuestion {
  const [resource = '', verb = ''] = grant.split(':');
  return namespace === undefined ? { verb, resource } : { verb, resource, namespace };
}

/** SubjectAccessReview (as the lab admin): may `user` do this? */
export async function canI(user: string, q: AccessQuestion): Promise<boolean> {
  const [group = '', resource = '', subresource] = q.resource.split('/');
  const review = await adminConfig()
    .makeApiClient(AuthorizationV1Api)
    .createSubjectAccessReview({
      body: {
        spec: {
          user,
          // The groups a ServiceAccount token carries.
          groups: [
            'system:serviceaccounts',
            `system:serviceaccounts:${user.split(':')[2] ?? ''}`,
            'system:authenticated',
          ],
          resourceAttributes: {
            group: group === 'core' ? '' : group,
            resource,
            ...(subresource === undefined ? {} : { subresource }),
            verb: q.verb,
            ...(q.namespace === undefined ? {} : { namespace: q.namespace }),
          },
        },
      },
    });
  return review.status?.allowed === true;
}

/**
 * Log lines that show the API server refusing a request. A 403 for writing into a namespace that is being
 * deleted (another suite's Service going away) is admission, not authorisation, and is not counted.
 */
export function forbiddenLines(log: string): string[] {
  return log
    .split('\n')
    .filter((l) => /forbidden|\b403\b/iu.test(l) && !l.includes('because it is being terminated'));
}

/** A child process in the root namespace (the controller: it needs no lab network). */
export interface ChildRun {
  readonly pid: number;
  logs(): string;
  /** SIGTERM to this PID only; resolves with the exit code. */
  stop(): Promise<number | null>;
}

export function startChild(o: { argv: readonly string[]; env: NodeJS.ProcessEnv }): ChildRun {
  const [command = process.execPath, ...args] = o.argv;
  const child: ChildProcess = spawn(command, args, {
    cwd: ROOT,
    env: o.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  const keep = (chunk: Buffer): void => {
    log = (log + chunk.toString('utf8')).slice(-500_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let code: number | null | undefined;
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (c) => {
      code = c;
      resolve(c);
    });
  });
  if (child.pid === undefined) throw new Error(`${command} did not start`);
  return {
    pid: child.pid,
    logs: () => log,
    stop: async () => {
      if (code === undefined) child.kill('SIGTERM');
      return exited;
    },
  };
}
