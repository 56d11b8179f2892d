/**
 * `helm install` / `helm upgrade` / `helm uninstall` of charts/ironlb against the lab API server: the membership
 * Secret is generated once, survives an upgrade unchanged (`lookup`), and is kept on uninstall
 * (`helm.sh/resource-policy: keep`). Pods never start (the lab has no kubelet); only the API objects matter here.
 */
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { run } from '../lab/exec.js';
import { installCrds, kubectl, labKubeconfigPath } from './support/index.js';
import { helmBinary } from './support/chart.js';

const CHART = fileURLToPath(new URL('../../charts/ironlb', import.meta.url));
const suffix = randomBytes(3).toString('hex');
const release = `up-${suffix}`;
const namespace = `ironlb-upgrade-${suffix}`;

async function helm(args: readonly string[]): Promise<string> {
  const bin = await helmBinary();
  return (await run(bin, ['--kubeconfig', labKubeconfigPath(), ...args], { timeoutMs: 60_000 })).stdout;
}

async function membershipKey(): Promise<string> {
  return kubectl([
    'get',
    'secret',
    '-n',
    namespace,
    `${release}-ironlb-membership`,
    '-o',
    'jsonpath={.data.secretKey}',
  ]);
}

afterAll(async () => {
  await helm(['uninstall', release, '-n', namespace]).catch(() => '');
  await kubectl(['delete', 'namespace', namespace, '--ignore-not-found', '--wait=false']);
});

describe('helm install and upgrade on the lab', () => {
  it('keeps the membership secret across upgrades and after uninstall', async () => {
    await installCrds();
    await helm(['install', release, CHART, '-n', namespace, '--create-namespace']);
    const first = await membershipKey();
    expect(Buffer.from(first, 'base64').toString()).toMatch(/^[A-Za-z0-9]{64}$/);

    await helm(['upgrade', release, CHART, '-n', namespace, '--set', 'logLevel=debug']);
    expect(await membershipKey()).toBe(first);
    const args = await kubectl([
      'get',
      'daemonset',
      '-n',
      namespace,
      '-o',
      'jsonpath={.items[0].spec.template.spec.containers[0].args}',
    ]);
    expect(args).toContain('--log-level=debug');

    await helm(['uninstall', release, '-n', namespace]);
    expect(await membershipKey()).toBe(first);
  });
});
