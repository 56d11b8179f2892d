import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { CHART_DIR, HELM, helm, helmTemplate, warnIfNoHelm } from './helm.js';

/**
 * Renders charts/ironlb with the real helm (IRONLB_HELM from scripts/toolchain.sh, else helm on PATH)
 * and checks properties of the objects, not text. Skipped, with a message, only when there is no helm.
 */
warnIfNoHelm('chart tests');

interface K8sObject {
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [field: string]: unknown;
}
type Item = Record<string, unknown>;

const QUICK_START = [
  '--set',
  'quickStart.enabled=true',
  '--set',
  'quickStart.addresses={192.168.1.240/28,192.168.1.250-192.168.1.254}',
];
const LB_CLASS = ['--set', 'loadBalancerClass=ironlb.io/l2', '--set', 'serviceMonitor.enabled=true'];

async function template(args: string[] = []): Promise<K8sObject[]> {
  return parseAllDocuments(await helmTemplate(args))
    .map((d) => d.toJS() as K8sObject | null)
    .filter((o): o is K8sObject => o !== null);
}

function find(objects: K8sObject[], kind: string, name: string): K8sObject {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (found === undefined) throw new Error(`${kind} ${name} not rendered`);
  return found;
}

/** The value at a dotted path (`spec.template.spec`, `containers.0`), undefined when absent. */
function get(o: unknown, path: string): unknown {
  let at: unknown = o;
  for (const key of path.split('.')) {
    at = typeof at === 'object' && at !== null ? (at as Item)[key] : undefined;
  }
  return at;
}
function list(o: unknown, path: string): Item[] {
  const v = get(o, path);
  if (!Array.isArray(v)) throw new Error(`${path} is not a list`);
  return v as Item[];
}
const args = (c: unknown): string[] => list(c, 'args') as unknown as string[];
const container = (o: K8sObject): unknown => get(o, 'spec.template.spec.containers.0');
const named = (items: Item[], name: string): unknown => items.find((e) => e.name === name);
const env = (c: unknown, name: string): unknown => get(named(list(c, 'env'), name), 'valueFrom');

/** Every (apiGroup, resource) of a Role or ClusterRole as `group/resource: sorted verbs`. */
function rules(role: K8sObject): string[] {
  return list(role, 'rules').flatMap((r) => {
    const { apiGroups, resources, verbs } = r as {
      apiGroups: string[];
      resources: string[];
      verbs: string[];
    };
    const v = [...verbs].sort().join(',');
    return apiGroups.flatMap((g) => resources.map((res) => `${g === '' ? 'core' : g}/${res}: ${v}`));
  });
}

describe.skipIf(HELM === undefined)('charts/ironlb', () => {
  it.each([
    ['default values', []],
    ['quick start', QUICK_START],
    ['loadBalancerClass and ServiceMonitors', LB_CLASS],
  ])('helm lint --strict passes with %s', async (_name, extra) => {
    const stdout = await helm(['lint', CHART_DIR, '--strict', ...extra]);
    expect(stdout).toContain('0 chart(s) failed');
  });

  it('renders exactly the expected objects with default values', async () => {
    const objects = await template();
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual([
      'ClusterRole/ironlb-controller',
      'ClusterRole/ironlb-speaker',
      'ClusterRoleBinding/ironlb-controller',
      'ClusterRoleBinding/ironlb-speaker',
      'DaemonSet/ironlb-speaker',
      'Deployment/ironlb-controller',
      'PodDisruptionBudget/ironlb-controller',
      'Role/ironlb-controller',
      'RoleBinding/ironlb-controller',
      'Service/ironlb-controller-metrics',
      'Service/ironlb-speaker-metrics',
      'ServiceAccount/ironlb-controller',
      'ServiceAccount/ironlb-speaker',
      'ValidatingAdmissionPolicy/ironlb-speaker-own-node',
      'ValidatingAdmissionPolicy/ironlb-speaker-own-node-bgp-status',
      'ValidatingAdmissionPolicyBinding/ironlb-speaker-own-node',
      'ValidatingAdmissionPolicyBinding/ironlb-speaker-own-node-bgp-status',
    ]);
    const namespaced = objects.filter(
      (o) => !o.kind.startsWith('Cluster') && !o.kind.startsWith('ValidatingAdmissionPolicy'),
    );
    expect(new Set(namespaced.map((o) => o.metadata.namespace))).toEqual(new Set(['ironlb-system']));
  });

  it('runs the controller unprivileged, with leader election, probes and downward-API identity', async () => {
    const deployment = find(await template(), 'Deployment', 'ironlb-controller');
    expect(get(deployment, 'spec.replicas')).toBe(2);
    const c = container(deployment);
    expect(get(c, 'image')).toBe('ironlb:0.1.0');
    expect(args(c).slice(0, 2)).toEqual(['--lite-mode', 'controller/dist/main.js']);
    expect(args(c)).toContain('--leader-elect');
    expect(args(c).some((a) => a.startsWith('--load-balancer-class'))).toBe(false);
    expect(get(c, 'securityContext')).toEqual({
      runAsNonRoot: true,
      runAsUser: 65534,
      runAsGroup: 65534,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(get(c, 'ports')).toEqual([{ name: 'metrics', containerPort: 7472, protocol: 'TCP' }]);
    expect(get(c, 'livenessProbe.httpGet')).toEqual({ path: '/healthz', port: 'metrics' });
    expect(get(c, 'readinessProbe.httpGet')).toEqual({ path: '/readyz', port: 'metrics' });
    expect(env(c, 'POD_NAME')).toEqual({ fieldRef: { fieldPath: 'metadata.name' } });
    expect(env(c, 'POD_NAMESPACE')).toEqual({ fieldRef: { fieldPath: 'metadata.namespace' } });
    expect(get(c, 'resources.requests')).toBeDefined();
    const term = get(
      deployment,
      'spec.template.spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution.0.podAffinityTerm',
    );
    expect(get(term, 'topologyKey')).toBe('kubernetes.io/hostname');
    expect(get(term, 'labelSelector.matchLabels')).toEqual(get(deployment, 'spec.selector.matchLabels'));
  });

  it('both components: a startup probe holds liveness back, probes tolerate a loaded node', async () => {
    const objects = await template();
    for (const workload of [
      find(objects, 'Deployment', 'ironlb-controller'),
      find(objects, 'DaemonSet', 'ironlb-speaker'),
    ]) {
      const c = container(workload);
      expect(get(c, 'startupProbe.httpGet')).toEqual({ path: '/healthz', port: 'metrics' });
      const startupSeconds =
        Number(get(c, 'startupProbe.periodSeconds')) * Number(get(c, 'startupProbe.failureThreshold'));
      expect(startupSeconds).toBeGreaterThanOrEqual(180);
      expect(get(c, 'livenessProbe.initialDelaySeconds')).toBeUndefined();
      for (const probe of ['startupProbe', 'livenessProbe', 'readinessProbe']) {
        expect(Number(get(c, `${probe}.timeoutSeconds`))).toBeGreaterThanOrEqual(3);
      }
      const livenessSeconds =
        Number(get(c, 'livenessProbe.periodSeconds')) * Number(get(c, 'livenessProbe.failureThreshold'));
      expect(livenessSeconds).toBeGreaterThanOrEqual(60);
    }
  });

  it('keeps one controller through drains (PDB), but not with a single replica', async () => {
    const objects = await template();
    const pdb = find(objects, 'PodDisruptionBudget', 'ironlb-controller');
    expect(get(pdb, 'spec.minAvailable')).toBe(1);
    const deployment = find(objects, 'Deployment', 'ironlb-controller');
    expect(get(pdb, 'spec.selector.matchLabels')).toEqual(get(deployment, 'spec.selector.matchLabels'));
    const single = await template(['--set', 'controller.replicas=1']);
    expect(single.some((o) => o.kind === 'PodDisruptionBudget')).toBe(false);
  });

  it('gives the speaker host networking and NET_RAW only', async () => {
    const ds = find(await template(), 'DaemonSet', 'ironlb-speaker');
    const pod = get(ds, 'spec.template.spec');
    expect(get(pod, 'hostNetwork')).toBe(true);
    expect(get(pod, 'dnsPolicy')).toBe('ClusterFirstWithHostNet');
    expect(get(pod, 'terminationGracePeriodSeconds')).toBe(10);
    expect(get(ds, 'spec.updateStrategy')).toEqual({
      type: 'RollingUpdate',
      rollingUpdate: { maxUnavailable: 1 },
    });
    const c = container(ds);
    // node's own flags (speaker.v8Flags) first, then the program.
    expect(args(c).slice(0, 3)).toEqual(['--optimize-for-size', '--no-turbofan', 'speaker/dist/main.js']);
    expect(args(c)).toContain('--membership-port=7946');
    expect(get(c, 'securityContext')).toEqual({
      runAsUser: 0,
      runAsNonRoot: false,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'], add: ['NET_RAW'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(env(c, 'NODE_NAME')).toEqual({ fieldRef: { fieldPath: 'spec.nodeName' } });
    expect(get(c, 'ports')).toEqual([
      { name: 'metrics', containerPort: 7473, protocol: 'TCP' },
      { name: 'membership', containerPort: 7946, protocol: 'UDP' },
    ]);
    expect(list(pod, 'tolerations').map((t) => t.key)).toEqual([
      'node-role.kubernetes.io/control-plane',
      'node-role.kubernetes.io/master',
    ]);
    expect(get(named(list(pod, 'volumes'), 'membership'), 'secret.secretName')).toBe('ironlb-membership');
  });

  it('renders no membership key: the controller creates the Secret, speakers mount it optional; existingSecret', async () => {
    const objects = await template();
    expect(objects.some((o) => o.kind === 'Secret')).toBe(false);
    const controllerArgs = args(container(find(objects, 'Deployment', 'ironlb-controller')));
    expect(controllerArgs).toContain('--membership-secret=ironlb-membership');
    const volumes = list(find(objects, 'DaemonSet', 'ironlb-speaker'), 'spec.template.spec.volumes');
    expect(get(named(volumes, 'membership'), 'secret')).toMatchObject({
      secretName: 'ironlb-membership',
      optional: true,
    });
    const own = await template(['--set', 'speaker.membership.existingSecret=my-key']);
    expect(own.some((o) => o.kind === 'Secret')).toBe(false);
    const ownArgs = args(container(find(own, 'Deployment', 'ironlb-controller')));
    expect(ownArgs.some((a) => a.startsWith('--membership-secret'))).toBe(false);
    expect(rules(find(own, 'Role', 'ironlb-controller'))).toEqual([
      'coordination.k8s.io/leases: create,get,update',
    ]);
    const ownVolumes = list(find(own, 'DaemonSet', 'ironlb-speaker'), 'spec.template.spec.volumes');
    expect(get(named(ownVolumes, 'membership'), 'secret')).toMatchObject({
      secretName: 'my-key',
      optional: false,
    });
  });

  it('confines the speaker to its own Node with an admission policy (off with nodePolicy.enabled=false)', async () => {
    const objects = await template();
    const policy = find(objects, 'ValidatingAdmissionPolicy', 'ironlb-speaker-own-node');
    expect(get(policy, 'spec.failurePolicy')).toBe('Fail');
    expect(get(policy, 'spec.matchConditions')).toEqual([
      {
        name: 'speaker-service-account',
        expression: "request.userInfo.username == 'system:serviceaccount:ironlb-system:ironlb-speaker'",
      },
    ]);
    const binding = find(objects, 'ValidatingAdmissionPolicyBinding', 'ironlb-speaker-own-node');
    expect(get(binding, 'spec')).toEqual({
      policyName: 'ironlb-speaker-own-node',
      validationActions: ['Deny'],
    });
    const off = await template(['--set', 'speaker.nodePolicy.enabled=false']);
    expect(off.some((o) => o.kind.startsWith('ValidatingAdmissionPolicy'))).toBe(false);
  });

  it('grants least-privilege RBAC: no wildcards, exactly the listed verbs', async () => {
    const objects = await template();
    for (const o of objects.filter((x) => x.kind === 'ClusterRole' || x.kind === 'Role')) {
      expect(JSON.stringify(o.rules)).not.toContain('*');
    }
    expect(rules(find(objects, 'ClusterRole', 'ironlb-controller'))).toEqual([
      'core/services: list,patch,watch',
      'core/services/status: patch',
      'core/namespaces: list,watch',
      'ironlb.io/ippools: list,watch',
      'ironlb.io/ippools/status: patch',
      'ironlb.io/l2announcements: list,watch',
      'core/nodes: list,watch',
      'ironlb.io/bgppeers: list,watch',
      'ironlb.io/bgppeers/status: patch',
      'events.k8s.io/events: create,patch',
    ]);
    const role = find(objects, 'Role', 'ironlb-controller');
    expect(role.metadata.namespace).toBe('ironlb-system');
    expect(rules(role)).toEqual(['coordination.k8s.io/leases: create,get,update', 'core/secrets: create']);
    expect(rules(find(objects, 'ClusterRole', 'ironlb-speaker'))).toEqual([
      'core/services: list,watch',
      'discovery.k8s.io/endpointslices: list,watch',
      'core/nodes: list,patch,watch',
      'ironlb.io/ippools: list,watch',
      'ironlb.io/l2announcements: list,watch',
      'ironlb.io/bgppeers: list,watch',
      'ironlb.io/bgpadvertisements: list,watch',
      'ironlb.io/bfdprofiles: list,watch',
      'ironlb.io/bgppeers/status: patch',
      'events.k8s.io/events: create,patch',
    ]);
    expect(get(find(objects, 'RoleBinding', 'ironlb-controller'), 'subjects')).toEqual([
      { kind: 'ServiceAccount', name: 'ironlb-controller', namespace: 'ironlb-system' },
    ]);
  });

  it('bgp.enabled: the speaker may list and watch Secrets (BGP passwords) in the release namespace only', async () => {
    const objects = await template(['--set', 'bgp.enabled=true']);
    const role = find(objects, 'Role', 'ironlb-speaker');
    expect(role.metadata.namespace).toBe('ironlb-system');
    expect(rules(role)).toEqual(['core/secrets: list,watch']);
    const binding = find(objects, 'RoleBinding', 'ironlb-speaker');
    expect(binding.metadata.namespace).toBe('ironlb-system');
    expect(get(binding, 'roleRef')).toEqual({
      apiGroup: 'rbac.authorization.k8s.io',
      kind: 'Role',
      name: 'ironlb-speaker',
    });
    expect(get(binding, 'subjects')).toEqual([
      { kind: 'ServiceAccount', name: 'ironlb-speaker', namespace: 'ironlb-system' },
    ]);
    // No Secret access anywhere else: the speaker's ClusterRole names no Secrets.
    expect(
      rules(find(objects, 'ClusterRole', 'ironlb-speaker')).some((r) => r.startsWith('core/secrets')),
    ).toBe(false);
  });

  it('passes loadBalancerClass to both components and renders ServiceMonitors for both', async () => {
    const objects = await template(LB_CLASS);
    for (const o of [
      find(objects, 'Deployment', 'ironlb-controller'),
      find(objects, 'DaemonSet', 'ironlb-speaker'),
    ]) {
      expect(args(container(o))).toContain('--load-balancer-class=ironlb.io/l2');
    }
    const monitors = objects.filter((o) => o.kind === 'ServiceMonitor');
    expect(monitors.map((m) => m.metadata.name)).toEqual(['ironlb-controller', 'ironlb-speaker']);
    for (const m of monitors) {
      const service = find(objects, 'Service', `${m.metadata.name}-metrics`);
      for (const [k, v] of Object.entries(get(m, 'spec.selector.matchLabels') as Record<string, string>)) {
        expect(service.metadata.labels?.[k]).toBe(v);
      }
      expect(get(m, 'spec.endpoints.0.port')).toBe('metrics');
    }
  });

  it('quick start creates a cluster-scoped IPPool and an L2Announcement for it', async () => {
    const objects = await template(QUICK_START);
    const pool = find(objects, 'IPPool', 'default');
    expect(get(pool, 'apiVersion')).toBe('ironlb.io/v1alpha1');
    expect(pool.metadata.namespace).toBeUndefined();
    expect(get(pool, 'spec')).toEqual({
      addresses: ['192.168.1.240/28', '192.168.1.250-192.168.1.254'],
      autoAssign: true,
      avoidBuggyIPs: false,
    });
    expect(get(find(objects, 'L2Announcement', 'default'), 'spec')).toEqual({ ipPools: ['default'] });
    await expect(template(['--set', 'quickStart.enabled=true'])).rejects.toThrow(/quickStart\.addresses/u);
  });
});
