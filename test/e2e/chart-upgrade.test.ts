/**
 * `helm install` of the PREVIOUS chart (the last version that rendered the membership Secret with `lookup` and
 * `helm.sh/resource-policy: keep`, taken from git history), `helm upgrade` to charts/ironlb, `helm uninstall`,
 * against the lab API server. The chart no longer renders the Secret; Helm must keep the old one (keep policy), and
 * the new controller, run from the build with the chart's ServiceAccount token and the upgraded Deployment's
 * args, must find it (409 on create) and leave it exactly as it was: same uid, resourceVersion and key. Pods never
 * start (the lab has no kubelet); the controller runs as a process in the root namespace.
 *
 * Unique per run: release, namespace, loadBalancerClass and Service label selector; controller metrics port 17561.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../lab/exec.js';
import { installCrds, kubectl, labKubeconfigPath } from './support/index.js';
import { type ChildRun, helmBinary, serviceAccountKubeconfig, startChild } from './support/chart.js';
import { waitFor } from './support/wait.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CHART = join(ROOT, 'charts/ironlb');
const suffix = randomBytes(3).toString('hex');
const release = `up-${suffix}`;
const namespace = `ironlb-upgrade-${suffix}`;
const secretName = `${release}-ironlb-membership`;
const CONTROLLER_METRICS_PORT = 17561;
/** The same values for both chart versions; only the ports and selectors keep this run apart from others. */
const SETS = [
  '--set',
  `loadBalancerClass=ironlb.io/e2e-upgrade-${suffix}`,
  '--set',
  `controller.metricsPort=${CONTROLLER_METRICS_PORT}`,
  '--set-json',
  `controller.extraArgs=["--metrics-host=127.0.0.1","--service-label-selector=ironlb.io/e2e-upgrade=${suffix}"]`,
];

let dir = '';
let oldChart = '';
let controller: ChildRun | undefined;

async function helm(args: readonly string[]): Promise<string> {
  const bin = await helmBinary();
  return (await run(bin, ['--kubeconfig', labKubeconfigPath(), ...args], { timeoutMs: 60_000 })).stdout;
}

async function git(args: readonly string[]): Promise<string> {
  return (await run('git', ['-C', ROOT, ...args])).stdout.trim();
}

/** The chart as of the commit before the one that stopped rendering the membership Secret. */
async function extractPreviousChart(into: string): Promise<string> {
  const removal = await git([
    'log',
    '-1',
    '--format=%H',
    '--diff-filter=D',
    '--',
    'charts/ironlb/templates/membership-secret.yaml',
  ]);
  if (removal === '') {
    // A shallow clone (some CI checkouts) lacks the history: fetch it once, then look again.
    if ((await git(['rev-parse', '--is-shallow-repository'])) === 'true') {
      await git(['fetch', '--quiet', '--unshallow']);
      return extractPreviousChart(into);
    }
    throw new Error(
      "no commit removed charts/ironlb/templates/membership-secret.yaml in this clone's history",
    );
  }
  await run('bash', ['-c', `git -C '${ROOT}' archive '${removal}^' charts/ironlb | tar -x -C '${into}'`]);
  return join(into, 'charts/ironlb');
}

interface SecretView {
  uid: string;
  resourceVersion: string;
  key: string;
  annotations: Record<string, string>;
}

async function membershipSecret(): Promise<SecretView> {
  const s = JSON.parse(await kubectl(['get', 'secret', '-n', namespace, secretName, '-o', 'json'])) as {
    metadata: { uid: string; resourceVersion: string; annotations?: Record<string, string> };
    data?: { secretKey?: string };
  };
  return {
    uid: s.metadata.uid,
    resourceVersion: s.metadata.resourceVersion,
    key: Buffer.from(s.data?.secretKey ?? '', 'base64').toString('utf8'),
    annotations: s.metadata.annotations ?? {},
  };
}

async function liveControllerArgs(): Promise<string[]> {
  const out = await kubectl([
    'get',
    'deployment',
    '-n',
    namespace,
    `${release}-ironlb-controller`,
    '-o',
    'jsonpath={.spec.template.spec.containers[0].args}',
  ]);
  return JSON.parse(out) as string[];
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ironlb-upgrade-'));
  oldChart = await extractPreviousChart(dir);
  await installCrds();
});

afterAll(async () => {
  await controller?.stop();
  await helm(['uninstall', release, '-n', namespace]).catch(() => '');
  await kubectl(['delete', 'namespace', namespace, '--ignore-not-found', '--wait=false']);
  rmSync(dir, { recursive: true, force: true });
});

describe('helm upgrade from the chart that rendered the membership Secret', () => {
  it('keeps the old Secret and its key; the new controller reuses it (409) instead of replacing it', async () => {
    await helm(['install', release, oldChart, '-n', namespace, '--create-namespace', ...SETS]);
    const first = await membershipSecret();
    expect(first.key).toMatch(/^[A-Za-z0-9]{64}$/u);
    expect(first.annotations['helm.sh/resource-policy']).toBe('keep');

    await helm(['upgrade', release, CHART, '-n', namespace, ...SETS, '--set', 'logLevel=debug']);
    const manifest = await helm(['get', 'manifest', release, '-n', namespace]);
    expect(manifest).not.toMatch(/^kind: Secret$/mu);
    expect(manifest).toMatch(/^kind: ValidatingAdmissionPolicy$/mu);
    const afterUpgrade = await membershipSecret();
    expect(afterUpgrade).toEqual(first);
    const args = await liveControllerArgs();
    expect(args).toContain(`--membership-secret=${secretName}`);
    expect(args).toContain('--log-level=debug');

    // The upgraded controller, with the chart ServiceAccount's token (create on Secrets, no read).
    const kubeconfig = await serviceAccountKubeconfig({
      namespace,
      name: `${release}-ironlb-controller`,
      dir,
    });
    controller = startChild({
      argv: [process.execPath, ...args],
      env: { ...process.env, KUBECONFIG: kubeconfig, POD_NAME: `${release}-e2e`, POD_NAMESPACE: namespace },
    });
    await waitFor(() => controller?.logs().includes('membership secret exists; keeping its key'), {
      what: 'the controller finding the existing membership Secret',
      timeoutMs: 20_000,
    });
    expect(controller.logs()).not.toContain('membership secret created');
    expect(controller.logs()).not.toContain('cannot create the membership secret');
    expect(await membershipSecret()).toEqual(first);
    expect(await controller.stop()).toBe(0);

    await helm(['uninstall', release, '-n', namespace]);
    expect(await membershipSecret()).toEqual(first);
  });
});
