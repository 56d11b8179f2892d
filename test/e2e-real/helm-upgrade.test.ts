/**
 * `helm upgrade` of the installed release with a changed pod template (a pod annotation on both workloads) rolls
 * the speaker DaemonSet (one node at a time) and the controller Deployment, while a client keeps opening new TCP
 * connections to a LoadBalancer IP served by real echo pods: no connection attempt may fail, the client may
 * never go a second without an answer, at most 2 in 100 exchanges may fail after the handshake, and the IP may
 * never change.
 *
 * Isolation: own pool 198.51.100.112/28 (no other suite uses it) in the e2e-real sandbox.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labConfig, labPaths } from '../lab/config.js';
import { RELEASE_NAMESPACE } from '../lab/real/helm-install.js';
import {
  flushNeighbour,
  kubeClients,
  neighbour,
  startClientProbe,
  type ProbeSample,
} from '../e2e/support/index.js';
import { setUpEchoService, type EchoService } from './echo-service.js';
import { describeReport, probeReport } from './probe-report.js';
import { firstEchoAnswer, ironlbPods, podProblems, rolloutStatus, speakersHearEachOther } from './support.js';

const ANNOTATION = 'e2e-real/rollout';
const lab = labConfig();
let echo: EchoService | undefined;

beforeAll(async () => {
  echo = await setUpEchoService({ pool: 'e2e-real-upgrade', range: '198.51.100.112/28', name: 'echo' });
});

afterAll(async () => {
  await echo?.cleanup();
});

/** `helm upgrade ironlb charts/ironlb -n ironlb-system --reuse-values <extra>` from the repository root. */
async function helmUpgrade(extra: readonly string[]): Promise<void> {
  const args = ['upgrade', 'ironlb', 'charts/ironlb', '-n', RELEASE_NAMESPACE, '--reuse-values', ...extra];
  console.log(`[e2e-real] $ helm ${args.join(' ')}`);
  await promisify(execFile)(process.env.IRONLB_HELM ?? 'helm', args, {
    cwd: lab.repoRoot,
    env: { ...process.env, KUBECONFIG: labPaths(lab).kubeconfig },
  });
}

describe('helm upgrade on real nodes', () => {
  it('rolls the speaker DaemonSet and the controller Deployment with 0 failed client connection attempts and the same IP', async () => {
    const { namespace, name, ip } = echo ?? { namespace: '', name: '', ip: '' };
    const before = new Set((await ironlbPods()).map((p) => p.metadata?.name ?? ''));
    const rev = `${Date.now()}`;
    const { core } = kubeClients();
    const seenIps = new Set<string>();
    const watch = { on: true };
    const watchIp = (async () => {
      while (watch.on) {
        const svc = await core.readNamespacedService({ namespace, name }).catch(() => undefined);
        const ingress = svc?.status?.loadBalancer?.ingress;
        if (ingress !== undefined) seenIps.add(ingress.map((i) => i.ip).join(',') || 'none');
        await new Promise((r) => setTimeout(r, 250));
      }
    })();
    // Fresh ARP: the client sends to the current announcer, not to a node a stale neighbour entry names (a node that
    // does not announce forwards through kube-proxy whatever its speaker does).
    await flushNeighbour({ ip });
    await firstEchoAnswer(ip);
    const macBefore = (await neighbour({ ip }))?.mac;
    const probe = startClientProbe({ netns: lab.client.netns, ip, intervalMs: 50, timeoutMs: 3000 });
    await new Promise((r) => setTimeout(r, 2000));
    const from = Date.now();
    let to: number;
    let samples: ProbeSample[];
    try {
      await helmUpgrade([
        '--set-string',
        `controller.podAnnotations.${ANNOTATION}=${rev}`,
        '--set-string',
        `speaker.podAnnotations.${ANNOTATION}=${rev}`,
      ]);
      await rolloutStatus({ namespace: RELEASE_NAMESPACE, workload: 'daemonset/ironlb-speaker' });
      await rolloutStatus({ namespace: RELEASE_NAMESPACE, workload: 'deployment/ironlb-controller' });
      // The new speakers have to find each other before the last handover settles; keep the client on meanwhile.
      await speakersHearEachOther();
      await new Promise((r) => setTimeout(r, 3000));
      to = Date.now();
    } finally {
      watch.on = false;
      samples = await probe.stop();
      await watchIp;
    }
    const report = probeReport(samples, { from, to });
    const failedAt = samples.filter((x) => x.t >= from && x.t < to && x.node === null).map((x) => x.t - from);
    const after = await ironlbPods();
    console.log(
      `[e2e-real] helm upgrade (speaker + controller rolled) in ${to - from} ms: ${describeReport(report)}; ` +
        `failed attempts started at [${failedAt.join(', ')}] ms into it; ` +
        `Service IPs seen: ${[...seenIps].join(' | ')}; client's neighbour entry ${macBefore} before, ` +
        `${(await neighbour({ ip }))?.mac} after`,
    );
    // Every ironlb pod was replaced by one with the new template, and all are healthy.
    expect(after.filter((p) => before.has(p.metadata?.name ?? '')).map((p) => p.metadata?.name)).toEqual([]);
    expect(after.map((p) => p.metadata?.annotations?.[ANNOTATION])).toEqual(after.map(() => rev));
    expect(after.flatMap(podProblems)).toEqual([]);
    expect([...seenIps]).toEqual([ip]);
    expect(report.attempts).toBeGreaterThan(100);
    // No connection attempt fails, and the client is never a second without an answer. An exchange whose
    // connection was made can still fail: cut when the IP moves to another node mid-exchange (that node's
    // kube-proxy does not know the connection), or slower than the 3 s timeout on a starved node; at most 2 in 100.
    // Seen: 0 to 3 per run, once 20 of 1954 (two bursts of about 2 s, at load 14 on 2 cores).
    expect(report.connectFailed).toBe(0);
    expect(report.longestGapMs).toBeLessThan(1000);
    expect(report.failed).toBeLessThanOrEqual(Math.floor((report.attempts * 2) / 100));
  }, 1_200_000);
});
