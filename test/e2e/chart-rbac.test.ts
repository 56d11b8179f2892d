/**
 * Issue 5, "install it like users will": charts/ironlb rendered by the real helm and applied to the lab's real
 * kube-apiserver, then the controller and the three speakers run with tokens of the chart's OWN ServiceAccounts
 * (TokenRequest, no client certificate). They must do their whole job without one 403, and a sample of verbs
 * they do not need must be denied. The Deployment and DaemonSet never get pods (the lab has no kubelet); the
 * processes run from the build with exactly the args and env the chart renders for the containers, except the
 * membership key path: the test plays the kubelet's part of the chart's optional Secret volume (an empty
 * directory until the controller has created the Secret, then the key file appears).
 *
 * Issue 8: the chart renders no key (two renders are identical); the controller creates the Secret, the
 * speakers wait for the file and then hear each other. Each speaker's token is bound to a Pod on its node (as a
 * DaemonSet pod's token is), and the chart's ValidatingAdmissionPolicy lets it change only its own Node's
 * ironlb.io/announcing annotation: another node's, or any other field, is refused.
 *
 * Unique per run: release name = release namespace (`ironlb-chart-<hex>`), IPPool/L2Announcement, the
 * Service's label (the controller only watches it) and loadBalancerClass (a controller another run leaves
 * behind ignores Services of a class). 203.0.113.96/30 is used only here.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  ApiException,
  CoordinationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  DiscoveryV1Api,
  EventsV1Api,
  KubeConfig,
  PatchStrategy,
  setHeaderOptions,
  type V1Service,
} from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../lab/exec.js';
import {
  applyServerSide,
  canI,
  type ChartObject,
  type ChildRun,
  type BoundPod,
  containerArgs,
  createNodePod,
  findObject,
  forceDeletePods,
  forbiddenLines,
  grantsOf,
  question,
  renderChart,
  serviceAccountKubeconfig,
  startChild,
} from './support/chart.js';
import { opsGet } from './support/controller-process.js';
import { apply, deleteObjects, installCrds, kubectl, waitForEvent } from './support/ironlb.js';
import { createTestNamespace, kubeClients, type TestNamespace } from './support/kube.js';
import { L2Capture } from './support/l2-capture.js';
import { httpGetFromClient } from './support/http.js';
import { netnsExec, startInNetns, type NetnsProcess } from './support/netns.js';
import { labNode, labNodes } from './support/nodes.js';
import { firstLoggedFor } from './support/speaker-log.js';
import { waitFor } from './support/wait.js';

/** This suite drives the API with client-node, whose patches default to JSON patch. */
const mergePatchOptions = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SUFFIX = randomBytes(3).toString('hex');
const RELEASE = `ironlb-chart-${SUFFIX}`;
const NS = RELEASE;
const CONTROLLER_SA = `${RELEASE}-controller`;
const SPEAKER_SA = `${RELEASE}-speaker`;
const POOL = `e2e-chart-${SUFFIX}`;
const CLASS = `ironlb.io/e2e-chart-${SUFFIX}`;
const LABEL = 'ironlb.io/e2e-chart';
// Ports no other suite or bench uses (the controller listens in the root namespace, speakers in node namespaces).
const PORTS = { controllerMetrics: 17460, speakerMetrics: 37473, membership: 37946 };
const CHART_SECRET_FILE = '/etc/ironlb/membership/secretKey';

/** Chart values a user might set; nothing here is test-only except the ports and the Service label selector. */
const VALUES = {
  quickStart: { enabled: false },
  loadBalancerClass: CLASS,
  logLevel: 'debug',
  controller: {
    metricsPort: PORTS.controllerMetrics,
    extraArgs: ['--metrics-host=127.0.0.1', `--service-label-selector=${LABEL}=${SUFFIX}`],
  },
  speaker: { metricsPort: PORTS.speakerMetrics, membership: { port: PORTS.membership } },
};

const sa = (name: string): string => `system:serviceaccount:${NS}:${name}`;
const { core, kc } = kubeClients();
const custom = kc.makeApiClient(CustomObjectsApi);
const coordination = kc.makeApiClient(CoordinationV1Api);

let dir: string;
let app: TestNamespace | undefined;
let objects: ChartObject[] = [];
let bgpObjects: ChartObject[] = []; // the same chart with bgp.enabled (rendered only: no FRR here)
let applied: string[] = [];
let controller: ChildRun | undefined;
const speakers: NetnsProcess[] = [];
let capture: L2Capture | undefined;
/** Per node: the speaker's Pod (its token is bound to it) and the kubeconfig with that token. */
const speakerIdentity = new Map<string, { pod: BoundPod; kubeconfig: string }>();
/** What the kubelet would mount: the optional Secret volume's directory and the key file in it. */
let keyFile = '';
/** Log lines of the test's speakers seen before the key file existed. */
let waitedLines: string[] = [];
let createdKey = '';

/**
 * Every verb the chart grants, with the code that needs it: the API client method (searched in `file`, so a
 * removed call fails this test) or, for watches, the informer's watch path. Informers LIST and WATCH and never
 * GET; every write is a JSON merge patch, never an update, except the leader Lease (read, create, replace).
 */
interface Need {
  readonly file: string;
  readonly code: string;
  /** The API client method behind `code` when `code` is not the method itself (searched in `methodFile`). */
  readonly method?: string;
  /** Where `method` is called when `code` goes through a shared helper (default: `file`). */
  readonly methodFile?: string;
}
const informers = 'controller/src/k8s/informers.ts';
const pruner = 'controller/src/reconciler/bgp-status-pruner.ts';
const controllerL2 = { file: informers, code: 'plural: L2_ANNOUNCEMENT_PLURAL' };
const statusPatch = { file: 'shared/src/kube/status-patch.ts', code: 'patchClusterCustomObjectStatus' };
/** The shared informer of ironlb.io resources: LIST with listClusterCustomObject, WATCH on this path. */
const customInformer = 'shared/src/kube/custom-informer.ts';
const customList = { method: 'listClusterCustomObject', methodFile: customInformer } as const;
const customWatch = {
  method: 'path: `/apis/${API_GROUP}/${API_VERSION}/${plural}`',
  methodFile: customInformer,
} as const;
const view = 'speaker/src/k8s/cluster-view.ts';
const bgpView = 'speaker/src/bgp-io/bgp-config-view.ts';
const bgpStatus = 'speaker/src/bgp-io/peer-status-writer.ts';
const recorder = 'shared/src/kube/event-recorder.ts';
const elector = 'shared/src/kube/leader-election.ts';
const CONTROLLER_NEEDS: Record<string, Need> = {
  'core/services:list': { file: informers, code: 'listServiceForAllNamespaces' },
  'core/services:watch': { file: informers, code: "path: '/api/v1/services'" },
  'core/services:patch': { file: 'controller/src/k8s/service-writer.ts', code: 'patchNamespacedService' },
  'core/services/status:patch': {
    file: 'shared/src/kube/status-patch.ts',
    code: 'patchNamespacedServiceStatus',
  },
  'core/namespaces:list': { file: informers, code: 'listNamespace' },
  'core/namespaces:watch': { file: informers, code: "path: '/api/v1/namespaces'" },
  'ironlb.io/ippools:list': { file: informers, code: 'plural: IPPOOL_PLURAL', ...customList },
  'ironlb.io/ippools:watch': { file: informers, code: 'plural: IPPOOL_PLURAL', ...customWatch },
  'ironlb.io/ippools/status:patch': statusPatch,
  'ironlb.io/l2announcements:list': { ...controllerL2, ...customList },
  'ironlb.io/l2announcements:watch': { ...controllerL2, ...customWatch },
  'core/nodes:list': { file: pruner, code: 'listNode' },
  'core/nodes:watch': { file: pruner, code: "path: '/api/v1/nodes'" },
  'ironlb.io/bgppeers:list': { file: pruner, code: 'plural: BGP_PEER_PLURAL', ...customList },
  'ironlb.io/bgppeers:watch': { file: pruner, code: 'plural: BGP_PEER_PLURAL', ...customWatch },
  'ironlb.io/bgppeers/status:patch': statusPatch,
  'events.k8s.io/events:create': { file: recorder, code: 'createNamespacedEvent' },
  'events.k8s.io/events:patch': { file: recorder, code: 'patchNamespacedEvent' },
};
const pwSecrets = 'speaker/src/bgp-io/password-secrets.ts';
/** bgp.enabled only: the speaker's Role in the release namespace (BGP password Secrets, one watch per name). */
const SPEAKER_ROLE_NEEDS: Record<string, Need> = {
  'core/secrets:list': { file: pwSecrets, code: 'listNamespacedSecret' },
  'core/secrets:watch': { file: pwSecrets, code: 'namespaces/${encodeURIComponent(spec.namespace)}/secrets' },
};
const CONTROLLER_ROLE_NEEDS: Record<string, Need> = {
  'coordination.k8s.io/leases:get': { file: elector, code: 'readNamespacedLease' },
  'coordination.k8s.io/leases:create': { file: elector, code: 'createNamespacedLease' },
  'coordination.k8s.io/leases:update': { file: elector, code: 'replaceNamespacedLease' },
  'core/secrets:create': { file: 'controller/src/k8s/membership-secret.ts', code: 'createNamespacedSecret' },
};
const SPEAKER_NEEDS: Record<string, Need> = {
  'core/services:list': { file: view, code: 'listServiceForAllNamespaces' },
  'core/services:watch': { file: view, code: "path: '/api/v1/services'" },
  'discovery.k8s.io/endpointslices:list': { file: view, code: 'listEndpointSliceForAllNamespaces' },
  'discovery.k8s.io/endpointslices:watch': {
    file: view,
    code: "path: '/apis/discovery.k8s.io/v1/endpointslices'",
  },
  'core/nodes:list': { file: view, code: 'listNode' },
  'core/nodes:watch': { file: view, code: "path: '/api/v1/nodes'" },
  'core/nodes:patch': { file: 'speaker/src/k8s/node-annotation.ts', code: 'patchNode' },
  'ironlb.io/ippools:list': { file: view, code: 'plural: IPPOOL_PLURAL', ...customList },
  'ironlb.io/ippools:watch': { file: view, code: 'plural: IPPOOL_PLURAL', ...customWatch },
  'ironlb.io/l2announcements:list': { file: view, code: 'plural: L2_ANNOUNCEMENT_PLURAL', ...customList },
  'ironlb.io/l2announcements:watch': { file: view, code: 'plural: L2_ANNOUNCEMENT_PLURAL', ...customWatch },
  'ironlb.io/bgppeers:list': { file: bgpView, code: 'plural: BGP_PEER_PLURAL', ...customList },
  'ironlb.io/bgppeers:watch': { file: bgpView, code: 'plural: BGP_PEER_PLURAL', ...customWatch },
  'ironlb.io/bgpadvertisements:list': {
    file: bgpView,
    code: 'plural: BGP_ADVERTISEMENT_PLURAL',
    ...customList,
  },
  'ironlb.io/bgpadvertisements:watch': {
    file: bgpView,
    code: 'plural: BGP_ADVERTISEMENT_PLURAL',
    ...customWatch,
  },
  'ironlb.io/bfdprofiles:list': { file: bgpView, code: 'plural: BFD_PROFILE_PLURAL', ...customList },
  'ironlb.io/bfdprofiles:watch': { file: bgpView, code: 'plural: BFD_PROFILE_PLURAL', ...customWatch },
  'ironlb.io/bgppeers/status:patch': { file: bgpStatus, code: 'patchClusterCustomObjectStatus' },
  'events.k8s.io/events:create': { file: recorder, code: 'createNamespacedEvent' },
  'events.k8s.io/events:patch': { file: recorder, code: 'patchNamespacedEvent' },
};

/** Names of every Kubernetes API method the programs could call (a `.name(` in the source that is one of these). */
const API_METHODS = new Set(
  [CoreV1Api, DiscoveryV1Api, CustomObjectsApi, CoordinationV1Api, EventsV1Api].flatMap((api) =>
    Object.getOwnPropertyNames(api.prototype).filter((m) => m !== 'constructor'),
  ),
);

function apiCallsIn(files: readonly string[]): string[] {
  const found = new Set<string>();
  for (const file of files) {
    for (const m of readFileSync(join(ROOT, file), 'utf8').matchAll(/\.([a-z]\w*)\(/gu)) {
      if (m[1] !== undefined && API_METHODS.has(m[1])) found.add(m[1]);
    }
  }
  return [...found].sort();
}

async function sourceFiles(dirs: readonly string[]): Promise<string[]> {
  const out = await Promise.all(
    dirs.map(async (d) => {
      const { stdout } = await run('git', ['-C', ROOT, 'ls-files', `${d}/*.ts`]);
      return stdout
        .split('\n')
        .filter((f) => f !== '' && !f.endsWith('.test.ts') && !f.includes('/testing/'));
    }),
  );
  return out.flat();
}

function role(kind: 'ClusterRole' | 'Role', name: string): ChartObject {
  return findObject(objects, { kind, name });
}

/**
 * The kubelet's part of the chart's `optional: true` Secret volume: once the Secret exists (the controller made
 * it; the admin reads it here, the speakers cannot), its key appears in the mounted directory in one atomic step.
 */
async function kubeletFillsVolume(): Promise<string> {
  const name = `${RELEASE}-membership`;
  const key = await waitFor(
    async () => {
      const secret = await core.readNamespacedSecret({ namespace: NS, name });
      return Buffer.from(secret.data?.secretKey ?? '', 'base64').toString('utf8');
    },
    { what: `Secret ${NS}/${name} created by the controller`, timeoutMs: 20_000, intervalMs: 200 },
  );
  const staged = join(dir, 'membership-staged');
  writeFileSync(staged, key, { mode: 0o400 });
  renameSync(staged, keyFile);
  return key;
}

const WAITING_FOR_KEY = 'waiting for the membership key file';

/** Each speaker with a token bound to a Pod on its node, the key file not there yet (the volume is empty). */
async function startSpeakers(): Promise<void> {
  const args = containerArgs(findObject(objects, { kind: 'DaemonSet', name: SPEAKER_SA }));
  expect(args).toContain(`--membership-secret-file=${CHART_SECRET_FILE}`);
  keyFile = join(dir, 'membership', 'secretKey');
  mkdirSync(join(dir, 'membership'));
  const argv = args.map((a) =>
    a === `--membership-secret-file=${CHART_SECRET_FILE}` ? `--membership-secret-file=${keyFile}` : a,
  );
  const env: NodeJS.ProcessEnv = { ...process.env, POD_NAMESPACE: NS };
  delete env.IRONLB_MEMBERSHIP_SECRET;
  for (const node of labNodes()) {
    const { ipv4 } = labNode(node);
    const pod = await createNodePod({
      namespace: NS,
      name: `${SPEAKER_SA}-${node}`,
      serviceAccountName: SPEAKER_SA,
      node,
    });
    const kubeconfig = await serviceAccountKubeconfig({
      namespace: NS,
      name: SPEAKER_SA,
      dir,
      boundPod: pod,
    });
    speakerIdentity.set(node, { pod, kubeconfig });
    speakers.push(
      startInNetns({
        netns: node,
        name: `e2e-chart-${SUFFIX}-speaker-${node}`,
        cwd: ROOT,
        argv: [process.execPath, ...argv],
        env: { ...env, KUBECONFIG: kubeconfig, NODE_NAME: node, HOST_IP: ipv4, POD_NAME: pod.name },
      }),
    );
  }
}

const speakerLog = (s: NetnsProcess): string => readFileSync(s.log, 'utf8');

/** The test's speaker on `node` (its own metrics port) counts all three speakers as alive. */
async function waitForThreeAlive(node: string): Promise<void> {
  await waitFor(
    async () => {
      const { stdout } = await netnsExec(node, [
        'curl',
        '-s',
        `http://127.0.0.1:${PORTS.speakerMetrics}/metrics`,
      ]);
      return /^ironlb_speaker_members_alive 3$/mu.test(stdout);
    },
    { what: `speaker on ${node}: ironlb_speaker_members_alive 3`, timeoutMs: 15_000, intervalMs: 250 },
  );
}

function startController(kubeconfig: string): ChildRun {
  const args = containerArgs(findObject(objects, { kind: 'Deployment', name: CONTROLLER_SA }));
  return startChild({
    argv: [process.execPath, ...args],
    env: { ...process.env, KUBECONFIG: kubeconfig, POD_NAME: `${CONTROLLER_SA}-e2e`, POD_NAMESPACE: NS },
  });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ironlb-chart-'));
  const valuesFile = join(dir, 'values.json');
  writeFileSync(valuesFile, JSON.stringify(VALUES));
  await installCrds();
  const rendered = await renderChart({ release: RELEASE, namespace: NS, valuesFile });
  objects = rendered.objects;
  writeFileSync(join(dir, 'bgp.json'), JSON.stringify({ ...VALUES, bgp: { enabled: true } }));
  bgpObjects = (await renderChart({ release: RELEASE, namespace: NS, valuesFile: `${dir}/bgp.json` }))
    .objects;
  // What `helm install --create-namespace` does first.
  await kubectl(['create', 'namespace', NS]);
  applied = await applyServerSide(rendered.yaml);
  app = await createTestNamespace('chart-app');
  await apply(
    [
      `apiVersion: ironlb.io/v1alpha1\nkind: IPPool\nmetadata: {name: ${POOL}}\nspec:\n  addresses: ["203.0.113.96/30"]\n  serviceAllocation: {priority: 0, namespaces: [${app.name}]}`,
      `apiVersion: ironlb.io/v1alpha1\nkind: L2Announcement\nmetadata: {name: ${POOL}}\nspec:\n  ipPools: [${POOL}]`,
    ].join('\n---\n'),
  );
  // Speakers first: they must wait (not fail) while the Secret does not exist yet.
  await startSpeakers();
  await waitFor(() => speakers.every((sp) => speakerLog(sp).includes(WAITING_FOR_KEY)), {
    what: 'every speaker waiting for the membership key file',
    timeoutMs: 20_000,
  });
  waitedLines = speakers.flatMap((sp) =>
    speakerLog(sp)
      .split('\n')
      .filter((l) => l.includes(WAITING_FOR_KEY)),
  );
  controller = startController(await serviceAccountKubeconfig({ namespace: NS, name: CONTROLLER_SA, dir }));
  createdKey = await kubeletFillsVolume();
  // The Service comes after the speakers hear each other, as in the suite before the key moved to run time:
  // speakers that start at the same instant while an IP exists can both announce it for a moment.
  for (const node of labNodes()) await waitForThreeAlive(node);
  capture = new L2Capture({
    netns: process.env.LAB_CLIENT_NETNS ?? 'ilb-client',
    iface: 'eth0',
    ipv4: '192.0.2.100',
    ipv6: '2001:db8::100',
  });
  await capture.start();
}, 120_000);

afterAll(async () => {
  capture?.stop();
  await Promise.all([controller?.stop(), ...speakers.map((s) => s.stop())]);
  if (process.env.IRONLB_E2E_LOGS === '1') process.stdout.write(controller?.logs() ?? '');
  await app?.cleanup();
  await deleteObjects('l2announcements.ironlb.io', [POOL]);
  await deleteObjects('ippools.ironlb.io', [POOL]);
  await forceDeletePods(
    NS,
    [...speakerIdentity.values()].map((x) => x.pod.name),
  );
  const clusterScoped = objects.filter(
    (o) => o.kind.startsWith('ClusterRole') || o.kind.startsWith('ValidatingAdmissionPolicy'),
  );
  for (const o of clusterScoped) await deleteObjects(o.kind.toLowerCase(), [o.metadata.name]);
  await deleteObjects('namespace', [NS]);
  rmSync(dir, { recursive: true, force: true });
});

describe('charts/ironlb installed on the lab API server', () => {
  it('the API server accepts every rendered object (server-side apply), pods or not', async () => {
    expect(objects.some((o) => o.kind === 'IPPool')).toBe(false);
    expect(applied).toHaveLength(objects.length);
    for (const line of applied) expect(line).toMatch(/ serverside-applied$/u);
    const names = objects.map((o) => `${o.kind}/${o.metadata.name}`).sort();
    const live = await kubectl(
      ['get', '-f', '-', '-o', 'jsonpath={range .items[*]}{.kind}/{.metadata.name}{"\\n"}{end}'],
      stringifyDocs(objects),
    );
    expect(live.trim().split('\n').sort()).toEqual(names);
  });

  it('with only the chart ServiceAccounts: IP, status, events, pool status, Lease, one ARP answer, no 403', async () => {
    const name = 'web';
    const ns = app?.name ?? '';
    await core.createNamespacedService({ namespace: ns, body: lbService(name) });
    const ip = await waitFor(
      async () =>
        (await core.readNamespacedService({ namespace: ns, name })).status?.loadBalancer?.ingress?.[0]?.ip,
      { what: 'an IP in Service status', timeoutMs: 20_000 },
    );
    expect(ip).toMatch(/^203\.0\.113\.(9[6-9])$/u);
    const svc = await core.readNamespacedService({ namespace: ns, name });
    expect(svc.metadata?.annotations?.['ironlb.io/allocated-from-pool']).toBe(POOL);
    // The Lease in the release namespace (POD_NAMESPACE from the chart's downward API), renewed by update.
    const lease = await coordination.readNamespacedLease({ namespace: NS, name: 'ironlb-controller' });
    expect(lease.spec?.holderIdentity).toBe(`${CONTROLLER_SA}-e2e`);
    const renewed = String(lease.spec?.renewTime);
    await waitFor(
      async () =>
        String(
          (await coordination.readNamespacedLease({ namespace: NS, name: 'ironlb-controller' })).spec
            ?.renewTime,
        ) !== renewed,
      { what: 'the Lease renewed', timeoutMs: 10_000 },
    );
    await waitFor(
      async () => {
        const p = (await custom.getClusterCustomObject({
          group: 'ironlb.io',
          version: 'v1alpha1',
          plural: 'ippools',
          name: POOL,
        })) as {
          status?: { assigned?: { ipv4?: string } };
        };
        return p.status?.assigned?.ipv4 === '1';
      },
      { what: `IPPool ${POOL} status assigned ipv4 1`, timeoutMs: 15_000, intervalMs: 100 },
    );
    const node = await waitFor(
      async () => {
        const macs = (await capture?.whoAnswers(ip)) ?? [];
        return macs.length === 1
          ? labNodes().find((n) => labNode(n).mac.toLowerCase() === macs[0])
          : undefined;
      },
      { what: `exactly one lab node answering ARP for ${ip}`, timeoutMs: 20_000, intervalMs: 200 },
    );
    const get = await httpGetFromClient({ ip });
    expect(get.ok && get.body.trim()).toBe(node);
    // One of THIS test's speakers announces it (its own log), not only a speaker another run left running.
    const mine = speakers.find((p) => p.name.endsWith(node));
    await waitFor(() => firstLoggedFor(readFileSync(mine?.log ?? '', 'utf8'), 'announcing', ip) !== null, {
      what: `the test's speaker on ${node} announcing ${ip}`,
      timeoutMs: 15_000,
    });
    await waitFor(
      async () =>
        (await core.readNode({ name: node })).metadata?.annotations?.['ironlb.io/announcing']
          ?.split(',')
          .includes(ip),
      { what: 'node annotation listing the IP' },
    );
    for (const reason of ['IPAllocated', 'Announcing']) {
      await waitForEvent({ namespace: ns, name, reason, timeoutMs: 15_000 });
    }
    const ops = await opsGet(PORTS.controllerMetrics, '/readyz');
    expect(ops?.[0]).toBe(200);
    expect(forbiddenLines(controller?.logs() ?? '')).toEqual([]);
    for (const s of speakers) expect(forbiddenLines(readFileSync(s.log, 'utf8'))).toEqual([]);
  });

  it('renders no key: the controller creates the Secret, the speakers wait for it, then hear each other', async () => {
    expect(objects.some((o) => o.kind === 'Secret')).toBe(false);
    expect(containerArgs(findObject(objects, { kind: 'Deployment', name: CONTROLLER_SA }))).toContain(
      `--membership-secret=${RELEASE}-membership`,
    );
    // Waited (and said so) instead of failing while the volume was empty.
    expect(waitedLines.length).toBeGreaterThanOrEqual(labNodes().length);
    expect(createdKey).toMatch(/^[A-Za-z0-9]{64}$/u);
    const secret = await core.readNamespacedSecret({ namespace: NS, name: `${RELEASE}-membership` });
    expect(secret.metadata?.labels?.['app.kubernetes.io/managed-by']).toBe('ironlb-controller');
    expect(controller?.logs()).toContain('membership secret created');
    for (const sp of speakers) {
      await waitFor(() => speakerLog(sp).includes('membership key file appeared'), {
        what: `${sp.name} reading the key file`,
        timeoutMs: 10_000,
      });
    }
    // Every one of the test's speakers (their own membership port) counts all three as alive.
    for (const node of labNodes()) await waitForThreeAlive(node);
  });

  it('admission policy: a speaker token changes only its own Node, and there only ironlb.io/announcing', async () => {
    const [own = '', other = ''] = labNodes();
    const mine = speakerCore(own);
    const ANNOUNCING = 'ironlb.io/announcing';
    const before = async (node: string): Promise<Record<string, string>> =>
      (await core.readNode({ name: node })).metadata?.annotations ?? {};

    // Another node's annotation: refused, and nothing changed there.
    const otherBefore = (await before(other))[ANNOUNCING];
    expect(
      await patchNodeAs(mine, other, { metadata: { annotations: { [ANNOUNCING]: '203.0.113.99' } } }),
    ).toEqual({
      code: 403,
      message: expect.stringContaining(
        `the ironlb speaker of node ${own} may not change Node ${other}`,
      ) as string,
    });
    expect((await before(other))[ANNOUNCING]).toBe(otherBefore);

    // Its own node's annotation: allowed (set, then restore what the speaker wrote).
    const ownBefore = (await before(own))[ANNOUNCING] ?? null;
    expect(
      await patchNodeAs(mine, own, { metadata: { annotations: { [ANNOUNCING]: '203.0.113.99' } } }),
    ).toEqual({
      code: 200,
    });
    expect((await before(own))[ANNOUNCING]).toBe('203.0.113.99');
    expect(await patchNodeAs(mine, own, { metadata: { annotations: { [ANNOUNCING]: ownBefore } } })).toEqual({
      code: 200,
    });

    // Anything else on its own node: refused.
    const onlyAnnotation =
      'the ironlb speaker may change only the ironlb.io/announcing annotation of its Node';
    const noFields = 'the ironlb speaker may not change labels, owners, finalizers or the spec of a Node';
    for (const [metadata, message] of [
      [{ annotations: { 'example.com/other': 'x' } }, onlyAnnotation],
      [{ labels: { 'node-role.kubernetes.io/edge': '' } }, noFields],
      [{ finalizers: ['example.com/hold'] }, noFields],
    ] as const) {
      expect(await patchNodeAs(mine, own, { metadata }), JSON.stringify(metadata)).toEqual({
        code: 403,
        message: expect.stringContaining(message) as string,
      });
    }
    expect(await patchNodeAs(mine, own, { spec: { unschedulable: true } })).toEqual({
      code: 403,
      message: expect.stringContaining(noFields) as string,
    });
    expect((await core.readNode({ name: own })).spec?.unschedulable).toBeUndefined();

    // The same ServiceAccount with a token that names no node (not bound to a pod): no Node at all.
    const unbound = coreFrom(await serviceAccountKubeconfig({ namespace: NS, name: SPEAKER_SA, dir }));
    expect(
      await patchNodeAs(unbound, own, { metadata: { annotations: { [ANNOUNCING]: ownBefore } } }),
    ).toEqual({
      code: 403,
      message: expect.stringContaining('this token names no node') as string,
    });
    // The policy binds only this release's speaker: the admin is untouched.
    await core.patchNode(
      { name: own, body: { metadata: { annotations: { 'example.com/admin': 'x' } } } },
      mergePatchOptions,
    );
    await core.patchNode(
      { name: own, body: { metadata: { annotations: { 'example.com/admin': null } } } },
      mergePatchOptions,
    );
    // The normal flow under the policy: the speakers wrote their own annotations without one refusal.
    for (const s of speakers) expect(forbiddenLines(speakerLog(s))).toEqual([]);
  });

  it('grants exactly the verbs the code calls, and the code calls no API method it was not granted', async () => {
    expect(grantsOf(role('ClusterRole', CONTROLLER_SA))).toEqual(Object.keys(CONTROLLER_NEEDS).sort());
    expect(grantsOf(role('Role', CONTROLLER_SA))).toEqual(Object.keys(CONTROLLER_ROLE_NEEDS).sort());
    expect(grantsOf(role('ClusterRole', SPEAKER_SA))).toEqual(Object.keys(SPEAKER_NEEDS).sort());
    expect(objects.some((o) => o.kind === 'Role' && o.metadata.name === SPEAKER_SA)).toBe(false);
    const bgpRole = findObject(bgpObjects, { kind: 'Role', name: SPEAKER_SA });
    const want = [NS, ...Object.keys(SPEAKER_ROLE_NEEDS).sort()];
    expect([bgpRole.metadata.namespace, ...grantsOf(bgpRole)]).toEqual(want);
    for (const needs of [CONTROLLER_NEEDS, CONTROLLER_ROLE_NEEDS, SPEAKER_NEEDS, SPEAKER_ROLE_NEEDS]) {
      for (const [grant, need] of Object.entries(needs)) {
        for (const [file, code] of [
          [need.file, need.code],
          [need.methodFile ?? need.file, need.method ?? need.code],
        ] as const)
          expect(readFileSync(join(ROOT, file), 'utf8'), `${grant}: ${code} in ${file}`).toContain(code);
      }
    }
    // The other direction: every API client method the program's own code calls is listed above.
    const named = (...needs: Record<string, Need>[]): Set<string> =>
      new Set(needs.flatMap((n) => Object.values(n).flatMap((x) => [x.code, x.method ?? x.code])));
    const controllerCalls = await sourceFiles(['controller/src']).then(apiCallsIn);
    const speakerCalls = await sourceFiles(['speaker/src']).then(apiCallsIn);
    const controllerNamed = named(CONTROLLER_NEEDS, CONTROLLER_ROLE_NEEDS);
    expect(controllerCalls.filter((c) => !controllerNamed.has(c))).toEqual([]);
    expect(speakerCalls.filter((c) => !named(SPEAKER_NEEDS, SPEAKER_ROLE_NEEDS).has(c))).toEqual([]);
  });

  it('the live RBAC allows every granted verb and denies a sample of others (SubjectAccessReview)', async () => {
    const other = app?.name ?? 'default';
    for (const g of Object.keys(CONTROLLER_NEEDS))
      expect(await canI(sa(CONTROLLER_SA), question(g)), g).toBe(true);
    for (const g of Object.keys(CONTROLLER_ROLE_NEEDS)) {
      expect(await canI(sa(CONTROLLER_SA), question(g, NS)), `${g} in ${NS}`).toBe(true);
      expect(await canI(sa(CONTROLLER_SA), question(g, other)), `${g} in ${other}`).toBe(false);
    }
    for (const g of Object.keys(SPEAKER_NEEDS)) expect(await canI(sa(SPEAKER_SA), question(g)), g).toBe(true);
    const denied: [string, string, string | undefined][] = [
      [CONTROLLER_SA, 'core/services:delete', other],
      [CONTROLLER_SA, 'core/services:update', other],
      [CONTROLLER_SA, 'core/services:get', other],
      [CONTROLLER_SA, 'core/pods:create', other],
      [CONTROLLER_SA, 'core/secrets:get', NS],
      [CONTROLLER_SA, 'core/secrets:list', undefined],
      [CONTROLLER_SA, 'core/secrets:update', NS],
      [CONTROLLER_SA, 'core/secrets:patch', NS],
      [CONTROLLER_SA, 'core/secrets:delete', NS],
      [CONTROLLER_SA, 'core/secrets:create', other],
      [CONTROLLER_SA, 'coordination.k8s.io/leases:update', 'kube-system'],
      [CONTROLLER_SA, 'coordination.k8s.io/leases:delete', NS],
      [CONTROLLER_SA, 'ironlb.io/ippools:update', undefined],
      [CONTROLLER_SA, 'ironlb.io/ippools:delete', undefined],
      [CONTROLLER_SA, 'core/nodes:patch', undefined],
      [SPEAKER_SA, 'core/services/status:patch', other],
      [SPEAKER_SA, 'core/services:patch', other],
      [SPEAKER_SA, 'core/secrets:list', undefined],
      [SPEAKER_SA, 'core/secrets:get', NS],
      [SPEAKER_SA, 'core/secrets:create', NS],
      [SPEAKER_SA, 'ironlb.io/ippools:create', undefined],
      [SPEAKER_SA, 'ironlb.io/ippools/status:patch', undefined],
      [SPEAKER_SA, 'core/nodes:delete', undefined],
      [SPEAKER_SA, 'core/nodes/status:patch', undefined],
      [SPEAKER_SA, 'coordination.k8s.io/leases:create', NS],
      [SPEAKER_SA, 'core/pods:list', undefined],
    ];
    for (const [who, grant, ns] of denied) {
      expect(await canI(sa(who), question(grant, ns)), `${who} ${grant} ${ns ?? '(cluster)'}`).toBe(false);
    }
  });
});

function lbService(name: string): V1Service {
  return {
    metadata: { name, labels: { [LABEL]: SUFFIX } },
    spec: {
      type: 'LoadBalancer',
      loadBalancerClass: CLASS,
      selector: { app: name },
      ports: [{ name: 'http', port: 80, protocol: 'TCP' }],
    },
  };
}

function coreFrom(kubeconfig: string): CoreV1Api {
  const config = new KubeConfig();
  config.loadFromFile(kubeconfig);
  return config.makeApiClient(CoreV1Api);
}

function speakerCore(node: string): CoreV1Api {
  const identity = speakerIdentity.get(node);
  if (identity === undefined) throw new Error(`no speaker identity for ${node}`);
  return coreFrom(identity.kubeconfig);
}

/** A JSON merge patch of a Node as `api`'s user: 200, or the refusal's code and message. */
async function patchNodeAs(
  api: CoreV1Api,
  node: string,
  body: { metadata?: Record<string, unknown>; spec?: Record<string, unknown> },
): Promise<{ code: number; message?: string }> {
  try {
    await api.patchNode({ name: node, body }, mergePatchOptions);
    return { code: 200 };
  } catch (error) {
    if (!(error instanceof ApiException)) throw error;
    const body = typeof error.body === 'string' ? error.body : JSON.stringify(error.body);
    return { code: error.code, message: (JSON.parse(body) as { message?: string }).message ?? body };
  }
}

function stringifyDocs(list: readonly ChartObject[]): string {
  return list
    .map((o) => JSON.stringify({ apiVersion: o.apiVersion, kind: o.kind, metadata: o.metadata }))
    .join('\n---\n');
}
