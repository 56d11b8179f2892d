/**
 * ironlb's footprint and ARP rate in pods: the chart installed with Helm on the real-node lab, every figure read
 * from the pods as the kubelet runs them (the chart's security contexts, requests and limits, the speaker with
 * CAP_NET_RAW only).
 *
 * 1. Idle: each controller and speaker container's memory cgroup (usage, working set, peak, failcnt, the pod's
 *    oom_kill count) and its main process (VmRSS / RssAnon / RssFile, V8 heap from its /metrics).
 * 2. `--services` LoadBalancer Services (no class: the README install serves them) from one IPPool with an
 *    L2Announcement, restricted to a fresh namespace: `--ipv4` IPv4 Services (the lab's IPv4 Service range is a
 *    /25) from 203.0.113.128/25, the rest IPv6 from 2001:db8:100::b:0/118. Created, allocated by the controller,
 *    announced by the speakers; the same readings (peaks since the idle reading).
 * 3. ARP requests from the client namespace at `--rates` for the announced IPv4 addresses (arp-rate.ts): replies,
 *    each speaker's received count, kernel drops at its ARP socket, its receive buffer (metric and `ss`).
 * 4. The same readings after the load; restarts and OOM kills of every container.
 *
 * Run inside a sandbox of your own (never the shared lab), e.g.:
 *   test/lab/scripts/sandbox.sh start bench-pods
 *   test/lab/scripts/sandbox.sh exec bench-pods env IRONLB_LAB_MODE=real scripts/toolchain.sh pnpm lab up
 *   test/lab/scripts/sandbox.sh exec bench-pods env IRONLB_LAB_MODE=real scripts/toolchain.sh \
 *     pnpm --filter @ironlb/bench bench:pods [--services 1000] [--ipv4 100] [--rates 5000,20000]
 *     [--duration-ms 5000] [--idle-ms 30000] [--settle-ms 30000] [--idle-only] (stop after the idle reading)
 *     [--installed] (ironlb is installed already, e.g. by hand with another image: no `lab install`)
 *   test/lab/scripts/sandbox.sh exec bench-pods scripts/toolchain.sh pnpm lab down
 *   test/lab/scripts/sandbox.sh stop bench-pods
 * The lab must be up; the bench installs ironlb (`pnpm lab install`, idempotent) if needed. The namespace, pool and
 * announcement are removed at the end; the lab and the release stay.
 */
import { resolve } from 'node:path';
import type { V1Pod } from '@kubernetes/client-node';
import { parseArgs } from 'node:util';
import { labConfig, type LabConfig } from '../test/lab/config.js';
import { labEnv } from '../test/lab/lab.js';
import { installIronlb, RELEASE_NAMESPACE } from '../test/lab/real/helm-install.js';
import {
  apply,
  createTestNamespace,
  deleteObjects,
  kubeClients,
  waitFor,
} from '../test/e2e/support/index.js';
import { ironlbPods, podProblems, speakersHearEachOther } from '../test/e2e-real/support.js';
import { arpRates, bufferLine, type ArpRateSetup } from './arp-rate.js';
import {
  formatReading,
  locateContainers,
  promSamples,
  readMemory,
  resetPeak,
  type Container,
} from './pod-memory.js';
import { ClientAgent, createServices, loadavg, sleep, speakerMetrics } from './speaker-lab.js';

const POOL = 'bench-pods';
const V4_RANGE = '203.0.113.128/25';
const V6_RANGE = '2001:db8:100::b:0/118';
const SPEAKER_PORT = 7473;
const CONTROLLER_PORT = 7472;
const MiB = 1048576;

function checkLab(config: LabConfig): void {
  if (config.mode !== 'real') throw new Error('bench:pods needs IRONLB_LAB_MODE=real (see the header)');
  if (config.dir === resolve('/tmp/ironlb-lab')) {
    throw new Error('bench:pods: refusing the shared lab directory; run it in a sandbox of your own');
  }
}

const isSpeaker = (c: Container): boolean => c.pod.includes('-speaker-');

/** V8 heap used / committed and external memory from the container's own /metrics. */
async function heapText(c: Container): Promise<string> {
  const speaker = isSpeaker(c);
  const prefix = speaker ? 'ironlb_speaker_nodejs_' : 'ironlb_nodejs_';
  const url = speaker
    ? `http://127.0.0.1:${String(SPEAKER_PORT)}/metrics`
    : `http://${c.podIp.includes(':') ? `[${c.podIp}]` : c.podIp}:${String(CONTROLLER_PORT)}/metrics`;
  const m = await promSamples({ netns: c.node, url, prefix }).catch(() => new Map<string, number>());
  const mib = (name: string): string => ((m.get(`${prefix}${name}`) ?? Number.NaN) / MiB).toFixed(1);
  return `heap ${mib('heap_size_used_bytes')}/${mib('heap_size_total_bytes')} external ${mib('external_memory_bytes')}`;
}

async function leaseHolders(): Promise<string> {
  const leases = await kubeClients().coordination.listNamespacedLease({ namespace: RELEASE_NAMESPACE });
  return leases.items.map((l) => `${l.metadata?.name}=${l.spec?.holderIdentity ?? '-'}`).join(' ');
}

/** Every ironlb container, located again (a restarted container has a new cgroup and PID). */
async function containers(config: LabConfig): Promise<Container[]> {
  return locateContainers(config, await ironlbPods());
}

async function report(config: LabConfig, label: string): Promise<Container[]> {
  const list = await containers(config);
  console.log(`[mem] ${label} (load ${loadavg()}; leases ${await leaseHolders()})`);
  for (const c of list) {
    try {
      console.log(`[mem]   ${formatReading(c, readMemory(c), await heapText(c))}`);
    } catch (error) {
      // The container restarted between locating and reading it.
      console.log(`[mem]   ${c.pod}/${c.container}: not read (${String(error)})`);
    }
  }
  return list;
}

async function announcedTotal(nodes: readonly string[]): Promise<number> {
  let sum = 0;
  for (const node of nodes) {
    const m = await speakerMetrics(node, SPEAKER_PORT);
    sum +=
      (m.get('ironlb_speaker_announced_ips{family="ipv4"}') ?? 0) +
      (m.get('ironlb_speaker_announced_ips{family="ipv6"}') ?? 0);
  }
  return sum;
}

/** Creates the Services, waits for every IP and every announcement; returns the allocated IPv4 addresses. */
async function loadServices(o: {
  namespace: string;
  services: number;
  ipv4: number;
  nodes: string[];
}): Promise<string[]> {
  const t0 = performance.now();
  const secs = (): string => ((performance.now() - t0) / 1000).toFixed(1);
  await createServices({
    namespace: o.namespace,
    count: o.ipv4,
    prefix: 'v4',
    loadBalancerClass: null,
    ipFamily: 'IPv4',
  });
  await createServices({
    namespace: o.namespace,
    count: o.services - o.ipv4,
    prefix: 'v6',
    loadBalancerClass: null,
  });
  console.log(`[svc] ${String(o.services)} Services created in ${secs()} s (load ${loadavg()})`);
  const { core } = kubeClients();
  const ingress = await waitFor(
    async () => {
      const list = await core.listNamespacedService({ namespace: o.namespace });
      const ips = list.items.flatMap((s) => (s.status?.loadBalancer?.ingress ?? []).map((i) => i.ip ?? ''));
      return ips.length >= o.services ? ips : undefined;
    },
    { what: `${String(o.services)} Services with an IP`, timeoutMs: 900_000, intervalMs: 2000 },
  );
  console.log(`[svc] all allocated ${secs()} s after the first create (load ${loadavg()})`);
  await waitFor(async () => (await announcedTotal(o.nodes)) >= o.services, {
    what: `${String(o.services)} IPs announced`,
    timeoutMs: 900_000,
    intervalMs: 2000,
  });
  console.log(`[svc] all announced ${secs()} s after the first create (load ${loadavg()})`);
  return ingress.filter((ip) => ip.includes('.'));
}

/** Restarts, OOM kills and unready containers of the release, with the termination reasons. */
async function problems(label: string): Promise<void> {
  const found = (await ironlbPods()).flatMap(podProblems);
  const text = found.length === 0 ? 'all Running and Ready, 0 restarts, no OOMKilled' : found.join('; ');
  console.log(`[pods] ${label}: ${text} (load ${loadavg()})`);
}

/** Every ironlb pod Running and Ready (restarts, which podProblems also counts, are reported, not waited on). */
async function healthy(): Promise<void> {
  await waitFor(
    async () => {
      const pods = await ironlbPods();
      const ready = (p: V1Pod): boolean =>
        p.status?.phase === 'Running' && (p.status.containerStatuses ?? []).every((c) => c.ready);
      return pods.length > 0 && pods.every(ready);
    },
    { what: 'every ironlb pod Running and Ready', timeoutMs: 600_000, intervalMs: 2000 },
  );
  await speakersHearEachOther(300_000);
}

async function measure(config: LabConfig, o: Options): Promise<void> {
  await healthy();
  await sleep(o.idleMs);
  const idle = await report(config, 'idle (peak: since the container started)');
  await problems('idle');
  if (o.idleOnly) return;
  for (const c of idle) resetPeak(c);
  const ns = await createTestNamespace('bench-pods');
  const cleanup = async (): Promise<void> => {
    await deleteObjects('l2announcements.ironlb.io', [POOL]).catch(() => undefined);
    await deleteObjects('ippools.ironlb.io', [POOL]).catch(() => undefined);
    await ns.cleanup();
  };
  const onSignal = (): void => {
    void cleanup().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    await apply(
      [
        `apiVersion: ironlb.io/v1alpha1\nkind: IPPool\nmetadata: {name: ${POOL}}\nspec:\n  addresses: ["${V4_RANGE}", "${V6_RANGE}"]\n  serviceAllocation: {namespaces: [${ns.name}]}`,
        `apiVersion: ironlb.io/v1alpha1\nkind: L2Announcement\nmetadata: {name: ${POOL}}\nspec:\n  ipPools: [${POOL}]`,
      ].join('\n---\n'),
    );
    const nodes = config.nodes.map((n) => n.netns);
    const v4 = await loadServices({ namespace: ns.name, services: o.services, ipv4: o.ipv4, nodes });
    await sleep(o.settleMs);
    await report(config, `${String(o.services)} Services announced (peak: since the idle reading)`);
    await problems('after the Services');
    // Restarted speakers (if any) must be back, with every IP announced, before the ARP load.
    await healthy();
    await waitFor(async () => (await announcedTotal(nodes)) >= o.services, {
      what: `${String(o.services)} IPs announced`,
      timeoutMs: 900_000,
      intervalMs: 2000,
    });
    const setup: ArpRateSetup = {
      speakers: (await containers(config))
        .filter(isSpeaker)
        .map((c) => ({ node: c.node, pid: c.pid, metricsPort: SPEAKER_PORT })),
    };
    console.log(await bufferLine(setup));
    const agent = new ClientAgent();
    try {
      await agent.start();
      await arpRates({ setup, agent, targets: v4, rates: o.rates, durationMs: o.durationMs });
    } catch (error) {
      // A speaker that restarts under the load has no metrics for a while: report it, keep the readings.
      console.log(`[arp] failed: ${String(error)}`);
      process.exitCode = 1;
    } finally {
      agent.stop();
    }
    await report(config, 'after the ARP load (peak: since the idle reading)');
    await problems('at the end');
  } finally {
    await cleanup();
  }
}

interface Options {
  services: number;
  ipv4: number;
  rates: number[];
  durationMs: number;
  idleMs: number;
  settleMs: number;
  idleOnly: boolean;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      services: { type: 'string', default: '1000' },
      ipv4: { type: 'string', default: '100' },
      rates: { type: 'string', default: '5000,20000' },
      'duration-ms': { type: 'string', default: '5000' },
      'idle-ms': { type: 'string', default: '30000' },
      'settle-ms': { type: 'string', default: '30000' },
      'idle-only': { type: 'boolean', default: false },
      installed: { type: 'boolean', default: false },
    },
  });
  const options: Options = {
    services: Number(values.services),
    ipv4: Number(values.ipv4),
    rates: values.rates.split(',').map(Number),
    durationMs: Number(values['duration-ms']),
    idleMs: Number(values['idle-ms']),
    settleMs: Number(values['settle-ms']),
    idleOnly: values['idle-only'],
  };
  if (!(
    options.ipv4 > 0 &&
    options.ipv4 <= 120 &&
    options.services >= options.ipv4 &&
    options.services <= 1100
  )) {
    throw new Error(
      'bench:pods: need 0 < --ipv4 <= 120 (the IPv4 Service range) and --ipv4 <= --services <= 1100',
    );
  }
  const config = labConfig();
  checkLab(config);
  // The lab must be up already (`pnpm lab up`): bringing it up is the lab's business, not the bench's.
  Object.assign(process.env, labEnv(config));
  if (!values.installed) {
    const install = await installIronlb(config, {
      helm: process.env.IRONLB_HELM ?? 'helm',
      out: (line) => {
        console.log(`[install] ${line}`);
      },
      rolloutTimeoutSeconds: 600,
    });
    console.log(`[install] image ${install.image.repository}:${install.image.tag}`);
  }
  console.log(`[bench] start: load ${loadavg()}`);
  await measure(config, options);
}

await main();
