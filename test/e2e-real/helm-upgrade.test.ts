/**
 * `helm upgrade` of the installed release with a changed pod template (a pod annotation on both workloads) rolls
 * the speaker DaemonSet (one node at a time) and the controller Deployment, while a client keeps opening new TCP
 * connections to a LoadBalancer IP served by real echo pods: no connection attempt may fail (the IP is always
 * answered by a node that forwards it), the client may never go 3 s without an answer, and the IP may never change.
 * Exchanges that fail after the handshake are reported with the client's MAC changes for the IP, not bounded:
 * on a starved machine they are dominated by slow answers (see the comment at the assertions).
 *
 * Isolation: own pool 198.51.100.112/28 (no other suite uses it) in the e2e-real sandbox.
 */
import { execFile } from 'node:child_process';
import { loadavg } from 'node:os';
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
    /** The client's neighbour entry for the IP whenever it changed: [ms into the upgrade, MAC]. */
    const macChanges: [number, string][] = [];
    const watch = { on: true, from: Date.now() };
    const watchIp = (async () => {
      while (watch.on) {
        const svc = await core.readNamespacedService({ namespace, name }).catch(() => undefined);
        const ingress = svc?.status?.loadBalancer?.ingress;
        if (ingress !== undefined) seenIps.add(ingress.map((i) => i.ip).join(',') || 'none');
        const mac = (await neighbour({ ip }).catch(() => null))?.mac ?? 'none';
        if (macChanges.at(-1)?.[1] !== mac) macChanges.push([Date.now() - watch.from, mac]);
        await new Promise((r) => setTimeout(r, 250));
      }
    })();
    // Fresh ARP: the client sends to the current announcer, not to a node a stale neighbour entry names (a node that
    // does not announce forwards through kube-proxy whatever its speaker does).
    await flushNeighbour({ ip });
    await firstEchoAnswer(ip);
    const macBefore = (await neighbour({ ip }))?.mac;
    // An exchange may take up to 5 s: on the starved 2-core machine a pod's answer can take seconds, which is not
    // what this test is about (at most 100 attempts are in flight, so 50 ms × 100 = 5 s keeps the pace).
    const probe = startClientProbe({ netns: lab.client.netns, ip, intervalMs: 50, timeoutMs: 5000 });
    await new Promise((r) => setTimeout(r, 2000));
    const from = Date.now();
    watch.from = from;
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
        `${(await neighbour({ ip }))?.mac} after; its changes [ms, MAC]: ${JSON.stringify(macChanges)}; ` +
        `load average ${loadavg()
          .map((l) => l.toFixed(1))
          .join(' ')}`,
    );
    // Every ironlb pod was replaced by one with the new template, and all are healthy.
    expect(after.filter((p) => before.has(p.metadata?.name ?? '')).map((p) => p.metadata?.name)).toEqual([]);
    expect(after.map((p) => p.metadata?.annotations?.[ANNOTATION])).toEqual(after.map(() => rev));
    expect(after.flatMap(podProblems)).toEqual([]);
    expect([...seenIps]).toEqual([ip]);
    expect(report.attempts).toBeGreaterThan(100);
    // No connection attempt fails, and the client is never 3 s without an answer. An exchange whose connection was
    // made can still fail: cut when the IP moves to another node mid-exchange (that node's kube-proxy does not know
    // the connection; README "Known limits"), or not answered within the 5 s timeout on a starved node. The latter
    // dominates under load and says nothing about ironlb: 0 to 3 per run at load 6-10, 20 of 1954 at load 14, and
    // 270 of 3267 at load 60-100 (3 s timeout then), spread over about 50 s of the roll (2026-12-01). So they are
    // reported, with the client's MAC changes to tell cuts by moves from slow answers, not bounded; the bound on the
    // longest time without an answer (1.1 s in that run) still fails a run where the client loses the IP.
    expect(report.connectFailed).toBe(0);
    expect(report.longestGapMs).toBeLessThan(3000);
  }, 1_200_000);
});
