/**
 * Shared plumbing of the speaker benchmarks on the lab (test/lab/README.md): one IPPool + L2Announcement,
 * a namespace of status-only LoadBalancer Services, three speakers (`node speaker/dist/main.js`) in the node
 * namespaces and the ARP agent (arp-load-agent.ts) in the client namespace.
 *
 * Safety: every frame is sent from inside the client namespace; nothing is sent from the root namespace.
 * Isolation from other engineers' runs on the shared lab: Services carry a loadBalancerClass that no ironlb
 * controller serves (so none allocates for them), use IPv6 ClusterIPs (the IPv4 service range is a /25) and
 * no NodePorts; the speakers use their own metrics and heartbeat ports and secret.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import {
  apply,
  createTestNamespace,
  deleteObjects,
  installCrds,
  kubeClients,
  labKubeconfigPath,
  labNodes,
  netnsExec,
  setIngress,
  startInNetns,
  waitFor,
  type NetnsProcess,
  type TestNamespace,
} from '../test/e2e/support/index.js';
import type { LoadAgentCommand, LoadAgentEvent, LoadResult } from './arp-load-agent.js';

export const ROOT = fileURLToPath(new URL('../', import.meta.url));
export const METRICS_PORT = 24731;
const MEMBERSHIP_PORT = 24796;
const SECRET = 'bench-membership-secret-0123456789';
const CLASS = 'bench.ironlb.io/status-only';
const CLIENT_NETNS = process.env.LAB_CLIENT_NETNS ?? 'ilb-client';

export function loadavg(): string {
  return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** PIDs of speaker processes (ours or anyone's) running now: another run's speakers would answer too. */
export function runningSpeakers(): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (argv.some((a) => a.endsWith('speaker/dist/main.js')) && argv[0] !== 'ip') pids.push(Number(entry));
    } catch {
      // the process exited while we looked
    }
  }
  return pids;
}

/** VmRSS in MiB of one process. */
export function rssMiB(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('VmRSS:'));
  return Number(/(\d+)/.exec(line ?? '')?.[1] ?? Number.NaN) / 1024;
}

/** One field (kB) of /proc/<pid>/status, in MiB. */
export function statusMiB(pid: number, field: string): number {
  const re = new RegExp(`^${field}:\\s*(\\d+)`, 'm');
  return Number(re.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? Number.NaN) / 1024;
}

/** Runs `fn` over `items` with at most `limit` in flight. */
export async function mapLimit<T>(o: {
  items: readonly T[];
  limit: number;
  fn: (item: T, index: number) => Promise<void>;
}): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < o.items.length) {
      const i = next++;
      await o.fn(o.items[i] as T, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(o.limit, o.items.length) }, worker));
}

export interface BenchLab {
  readonly ns: TestNamespace;
  readonly nodes: string[];
  readonly speakers: Map<string, NetnsProcess>;
  cleanup(): Promise<void>;
}

/** Pool + L2Announcement `name` over `addresses`, a namespace, three speakers; nothing announced yet. */
export async function benchLab(o: {
  name: string;
  addresses: readonly string[];
  speakerArgs?: readonly string[];
  /** Extra node flags for the speakers, e.g. --cpu-prof. */
  nodeArgs?: readonly string[];
  /** Command prefix running each speaker's node, e.g. NET_RAW_ONLY (test/e2e/support/speakers.ts). */
  wrap?: readonly string[];
}): Promise<BenchLab> {
  const steps: (() => Promise<unknown>)[] = [];
  const cleanup = async (): Promise<void> => {
    for (const step of steps.reverse()) {
      await step().catch((e: unknown) => {
        console.error(`cleanup step failed: ${String(e)}`);
      });
    }
    steps.length = 0;
  };
  try {
    await installCrds();
    const ns = await createTestNamespace(o.name);
    steps.push(() => ns.cleanup());
    steps.push(() => deleteObjects('ippools.ironlb.io', [o.name]));
    steps.push(() => deleteObjects('l2announcements.ironlb.io', [o.name]));
    const addresses = o.addresses.map((a) => `"${a}"`).join(', ');
    await apply(
      [
        `apiVersion: ironlb.io/v1alpha1\nkind: IPPool\nmetadata: {name: ${o.name}}\nspec:\n  addresses: [${addresses}]\n  serviceAllocation: {namespaces: [${ns.name}]}`,
        `apiVersion: ironlb.io/v1alpha1\nkind: L2Announcement\nmetadata: {name: ${o.name}}\nspec:\n  ipPools: [${o.name}]`,
      ].join('\n---\n'),
    );
    const nodes = labNodes();
    const speakers = new Map<string, NetnsProcess>();
    steps.push(() => Promise.all([...speakers.values()].map((p) => p.stop())));
    for (const node of nodes) speakers.set(node, startSpeaker({ node, ...o }));
    await waitReady(nodes);
    return { ns, nodes, speakers, cleanup };
  } catch (error) {
    await cleanup();
    throw error;
  }
}

/**
 * With a build that filters on spec.loadBalancerClass, our speakers serve only our class and other runs'
 * speakers ignore our Services; older builds announce every class (then only one run at a time may use speakers).
 */
function classArgs(): string[] {
  const options = readFileSync(`${ROOT}speaker/dist/options.js`, 'utf8');
  return options.includes('load-balancer-class') ? ['--load-balancer-class', CLASS] : [];
}

function startSpeaker(o: {
  node: string;
  speakerArgs?: readonly string[];
  nodeArgs?: readonly string[];
  wrap?: readonly string[];
}): NetnsProcess {
  return startInNetns({
    netns: o.node,
    name: `bench-speaker-${o.node}`,
    cwd: ROOT,
    argv: [
      ...(o.wrap ?? []),
      process.execPath,
      ...(o.nodeArgs ?? []),
      'speaker/dist/main.js',
      '--metrics-port',
      String(METRICS_PORT),
      '--membership-port',
      String(MEMBERSHIP_PORT),
      ...classArgs(),
      ...(o.speakerArgs ?? []),
    ],
    env: {
      ...process.env,
      NODE_NAME: o.node,
      KUBECONFIG: labKubeconfigPath(),
      IRONLB_MEMBERSHIP_SECRET: SECRET,
    },
  });
}

async function waitReady(nodes: readonly string[]): Promise<void> {
  for (const node of nodes) {
    await waitFor(
      async () =>
        (await netnsExec(node, ['curl', '-sf', `http://127.0.0.1:${METRICS_PORT}/readyz`])).stdout.includes(
          'ok',
        ),
      { what: `${node} speaker ready`, timeoutMs: 30_000, intervalMs: 200 },
    );
  }
}

/**
 * Creates `count` LoadBalancer Services `<prefix>-<i>` (default `svc`) of `ipFamily` (SingleStack, default IPv6)
 * and `loadBalancerClass` (default this file's status-only class; null: no class), without node ports, bounded
 * concurrency.
 */
export async function createServices(o: {
  namespace: string;
  count: number;
  prefix?: string;
  loadBalancerClass?: string | null;
  ipFamily?: 'IPv4' | 'IPv6';
}): Promise<string[]> {
  const { core } = kubeClients();
  const names = Array.from({ length: o.count }, (_, i) => `${o.prefix ?? 'svc'}-${i}`);
  await mapLimit({
    items: names,
    limit: 16,
    fn: async (name) => {
      await core.createNamespacedService({
        namespace: o.namespace,
        body: {
          metadata: { name },
          spec: {
            type: 'LoadBalancer',
            ...(o.loadBalancerClass === null ? {} : { loadBalancerClass: o.loadBalancerClass ?? CLASS }),
            allocateLoadBalancerNodePorts: false,
            ipFamilyPolicy: 'SingleStack',
            ipFamilies: [o.ipFamily ?? 'IPv6'],
            selector: { app: name },
            ports: [{ port: 80, protocol: 'TCP' }],
          },
        },
      });
    },
  });
  return names;
}

/** Writes one IP into the status of each Service (bounded concurrency). */
export async function setStatuses(o: {
  namespace: string;
  names: readonly string[];
  ips: readonly string[];
}): Promise<void> {
  await mapLimit({
    items: o.names,
    limit: 16,
    fn: async (name, i) => {
      await setIngress({ namespace: o.namespace, name, ips: [o.ips[i] ?? ''] });
    },
  });
}

/** Metrics port of speakers started by others (e.g. `pnpm demo`): the default. */
export const DEFAULT_METRICS_PORT = 7473;

/** `ironlb_speaker_*` samples of one speaker: metric name (with labels) → value. */
export async function speakerMetrics(node: string, port = METRICS_PORT): Promise<Map<string, number>> {
  const { stdout } = await netnsExec(node, ['curl', '-sf', `http://127.0.0.1:${port}/metrics`]);
  const out = new Map<string, number>();
  for (const line of stdout.split('\n')) {
    if (!line.startsWith('ironlb_speaker_')) continue;
    const at = line.lastIndexOf(' ');
    out.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return out;
}

/**
 * The kernel's view of one process's ARP packet socket(s) in a node namespace (`ss -0 -m -p`): receive buffer
 * (sk_rcvbuf) and frames dropped because it was full (sk_drops), summed over the process's ARP sockets.
 */
export async function arpSocketStats(node: string, pid: number): Promise<{ rcvbuf: number; drops: number }> {
  const { stdout } = await netnsExec(node, ['ss', '-0', '-m', '-p', '-n']);
  let rcvbuf = 0;
  let drops = 0;
  for (const line of stdout.split('\n')) {
    if (!line.includes('[2054]') || !line.includes(`pid=${pid},`)) continue;
    rcvbuf = Number(/\brb(\d+)/.exec(line)?.[1] ?? Number.NaN);
    drops += Number(/\bd(\d+)\)/.exec(line)?.[1] ?? Number.NaN);
  }
  return { rcvbuf, drops };
}

/** The ARP agent in the client namespace. */
export class ClientAgent {
  readonly garps: { ip: string; mac: string; t: number }[] = [];
  private child: ChildProcessWithoutNullStreams | null = null;
  private readonly waiters = new Map<number, (r: unknown) => void>();
  private nextId = 1;

  async start(): Promise<string> {
    const child = spawn(
      'ip',
      [
        'netns',
        'exec',
        CLIENT_NETNS,
        process.execPath,
        '--conditions=ironlb-source',
        '--import',
        'tsx',
        'bench/arp-load-agent.ts',
        'eth0',
        '192.0.2.100',
      ],
      { cwd: ROOT },
    );
    this.child = child;
    child.stderr.on('data', (d: Buffer) => process.stderr.write(`[agent] ${d.toString()}`));
    const ready = new Promise<string>((resolve) => {
      createInterface({ input: child.stdout }).on('line', (line) => {
        const m = JSON.parse(line) as LoadAgentEvent;
        if ('id' in m) this.waiters.get(m.id)?.(m.result);
        else if (m.ev === 'garp') this.garps.push(m);
        else resolve(m.mac);
      });
    });
    return ready;
  }

  async load(o: {
    targets: string[];
    rate: number;
    durationMs: number;
    drainMs: number;
  }): Promise<LoadResult> {
    return (await this.call({ op: 'load', ...o })) as LoadResult;
  }

  async watch(ips: string[]): Promise<void> {
    await this.call({ op: 'watch', ips });
  }

  stop(): void {
    this.child?.stdin.end();
    this.child = null;
  }

  private call(cmd: DistributiveOmit<LoadAgentCommand, 'id'>): Promise<unknown> {
    const id = this.nextId++;
    const child = this.child;
    if (!child) throw new Error('agent not started');
    const result = new Promise<unknown>((resolve) => this.waiters.set(id, resolve));
    child.stdin.write(`${JSON.stringify({ ...cmd, id })}\n`);
    return result;
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
