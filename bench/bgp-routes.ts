/**
 * BGP mode on the lab's router (issue 12): how long from a Service's status write until the router has installed
 * its route with a next hop per node.
 *
 *   (a) latency: `--latency N` Services (default 200), one status write every `--pace-ms` (default 250); per
 *       Service, start of its status write → the router's kernel holds the /128 with one gateway per node;
 *       p50/p99/max.
 *   (b) scale: `--scale N` Services (default 1000), every status written at once (16 in flight); first status
 *       write → the router's kernel holds all N with one gateway per node.
 *
 * Setup as in test/e2e/speaker-bgp.test.ts, no controller: the bench writes Service status itself. Three built
 * speakers (`node speaker/dist/main.js --bgp-frr-config …`) drive the lab nodes' FRR instances; one IPv6 BGPPeer
 * (the router's LAN address). IPv6 because 1,000 IPv4 addresses fit in no range free of other suites; the router
 * peers over IPv6 as well (test/lab/README.md, "BGP").
 *
 * Isolation on the shared lab: own class, pool 2001:db8:12::/118 (used by no suite), object names, speaker ports
 * and process names. The router is polled with one `ip -6 -j route show proto bgp` in its namespace per round
 * (kernel routes: what really forwards; IPv6 gateways are the nodes' eth0 link-local addresses).
 * Everything it creates is removed in a finally, and every node's FRR goes back to the lab's initial config.
 * The per-node FRR instances are shared with the speaker-bgp* e2e suites: never run beside them.
 *
 * Run (root, lab up with BGP, after `pnpm build`): pnpm -C bench bench:bgp-routes [--latency 200] [--scale 1000]
 */
import { parseArgs } from 'node:util';
import { renderInitialNodeConfig } from '../test/lab/bgp/frr-config.js';
import { labConfig } from '../test/lab/config.js';
import { runInNetns } from '../test/lab/exec.js';
import { registerLabUser, releaseLabUser } from '../test/lab/sharing.js';
import {
  apply,
  createTestNamespace,
  deleteObjects,
  installCrds,
  kubeClients,
  labNodes,
  netnsExec,
  percentile,
  setIngress,
  SpeakerSet,
  waitFor,
  type TestNamespace,
} from '../test/e2e/support/index.js';
import {
  applyNodeFrrConfig,
  bgpSpeakerArgs,
  ensureBgpLab,
  waitForBgpSessions,
} from '../test/e2e/support/router.js';
import { speakerMetrics } from '../test/e2e/support/metrics.js';
import { createServices, loadavg, mapLimit, sleep } from './speaker-lab.js';

const NAME = 'bench-bgp-routes';
const CLASS = 'bench.ironlb.io/bgp-routes';
const PORTS = { metrics: 24851, membership: 24917 };
/** 1,024 addresses; Service i gets 2001:db8:12::<i+1> (hex). */
const RANGE6 = '2001:db8:12::/118';
const ipOf = (i: number): string => `2001:db8:12::${(i + 1).toString(16)}`;

const { values: flags } = parseArgs({
  options: {
    latency: { type: 'string', default: '200' },
    scale: { type: 'string', default: '1000' },
    'pace-ms': { type: 'string', default: '250' },
    'timeout-s': { type: 'string', default: '600' },
  },
});
const LATENCY_COUNT = Number(flags.latency);
const SCALE_COUNT = Number(flags.scale);
const PACE_MS = Number(flags['pace-ms']);
const TIMEOUT_MS = Number(flags['timeout-s']) * 1000;
for (const [flag, n] of [
  ['--latency', LATENCY_COUNT],
  ['--scale', SCALE_COUNT],
  ['--pace-ms', PACE_MS],
  ['--timeout-s', TIMEOUT_MS],
] as const) {
  if (!Number.isInteger(n) || n < 0) throw new Error(`${flag} must be a whole number ≥ 0`);
}
if (LATENCY_COUNT > 1024 || SCALE_COUNT > 1024) throw new Error('at most 1024 Services (the pool is a /118)');

/** Each node's eth0 link-local address: the gateway of the router's kernel routes for IPv6 BGP prefixes. */
async function nodeLinkLocals(nodes: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const node of nodes) {
    const { stdout } = await netnsExec(node, [
      'ip',
      '-6',
      '-j',
      'addr',
      'show',
      'dev',
      'eth0',
      'scope',
      'link',
    ]);
    const parsed = JSON.parse(stdout) as { addr_info?: { local?: string }[] }[];
    const ll = parsed[0]?.addr_info?.find((a) => a.local !== undefined)?.local;
    if (ll === undefined) throw new Error(`${node}: no link-local address on eth0`);
    out.push(ll);
  }
  return out.sort();
}

/** One read of the router's kernel: IPv6 BGP routes, destination → sorted gateways. */
async function routerRoutes(netns: string): Promise<Map<string, string>> {
  const { stdout } = await runInNetns(netns, ['ip', '-6', '-j', 'route', 'show', 'proto', 'bgp']);
  const routes = JSON.parse(stdout || '[]') as {
    dst?: string;
    gateway?: string;
    nexthops?: { gateway?: string }[];
  }[];
  const out = new Map<string, string>();
  for (const r of routes) {
    const dst = (r.dst ?? '').replace(/\/128$/, '');
    const gateways = (r.nexthops ?? [r]).map((h) => h.gateway ?? '').filter((g) => g !== '');
    out.set(dst, gateways.sort().join(' '));
  }
  return out;
}

/**
 * Polls the router until every IP of `pending` has exactly `want` as gateways; calls `seen(ip, at)` once per IP at
 * the first poll that shows it (at = performance.now() after that poll returned).
 */
async function pollRouter(o: {
  netns: string;
  pending: Set<string>;
  want: string;
  seen: (ip: string, at: number) => void;
  deadline: number;
}): Promise<number> {
  let polls = 0;
  while (o.pending.size > 0) {
    if (performance.now() > o.deadline) throw new Error(`timed out with ${o.pending.size} routes missing`);
    const routes = await routerRoutes(o.netns);
    const at = performance.now();
    polls++;
    for (const ip of [...o.pending]) {
      if (routes.get(ip) === o.want) {
        o.pending.delete(ip);
        o.seen(ip, at);
      }
    }
    await sleep(20);
  }
  return polls;
}

/** Deletes the Services and waits until the router holds none of our routes. */
async function clearServices(o: {
  namespace: string;
  names: readonly string[];
  netns: string;
}): Promise<void> {
  const { core } = kubeClients();
  await mapLimit({
    items: o.names,
    limit: 16,
    fn: async (name) => {
      await core.deleteNamespacedService({ namespace: o.namespace, name });
    },
  });
  await waitFor(
    async () => [...(await routerRoutes(o.netns)).keys()].every((d) => !d.startsWith('2001:db8:12:')),
    {
      what: 'the router without any 2001:db8:12:: route',
      timeoutMs: 300_000,
      intervalMs: 500,
    },
  );
}

/** Per node: FRR applies so far, incremental (one vtysh session) and full (frr-reload.py), and failures. */
async function applyCounts(nodes: readonly string[]): Promise<string> {
  const metric = speakerMetrics(PORTS.metrics);
  const parts: string[] = [];
  for (const node of nodes) {
    const [inc, incFail, full, fail] = await Promise.all(
      [
        'ironlb_bgp_incremental_applies_total',
        'ironlb_bgp_incremental_apply_failures_total',
        'ironlb_bgp_reloads_total',
        'ironlb_bgp_reload_failures_total',
      ].map((m) => metric(node, m).catch(() => Number.NaN)),
    );
    parts.push(`${node} incremental ${inc} (failed ${incFail}), full ${full} (failed ${fail})`);
  }
  return `applies so far: ${parts.join('; ')}`;
}

function summary(label: string, values: readonly number[]): string {
  const r = (v: number): string => String(Math.round(v));
  return `${label}: n=${values.length} p50=${r(percentile(values, 50))} ms p99=${r(percentile(values, 99))} ms max=${r(Math.max(...values))} ms`;
}

interface Phase {
  namespace: string;
  netns: string;
  want: string;
  nodes: readonly string[];
}

async function latencyPhase(o: Phase): Promise<void> {
  const names = await createServices({
    namespace: o.namespace,
    count: LATENCY_COUNT,
    prefix: 'lat',
    loadBalancerClass: CLASS,
  });
  const writeAt = new Map<string, number>();
  const ms: number[] = [];
  const pending = new Set(names.map((_, i) => ipOf(i)));
  console.log(`(a) ${LATENCY_COUNT} Services, one status write every ${PACE_MS} ms; load ${loadavg()}`);
  const poller = pollRouter({
    netns: o.netns,
    pending,
    want: o.want,
    deadline: performance.now() + TIMEOUT_MS,
    seen: (ip, at) => {
      const t0 = writeAt.get(ip);
      if (t0 === undefined) throw new Error(`${ip} routed before its status was written`);
      ms.push(at - t0);
    },
  });
  // Awaited below; a rejection before then must not count as unhandled (the finally has to run).
  poller.catch(() => undefined);
  for (const [i, name] of names.entries()) {
    writeAt.set(ipOf(i), performance.now());
    await setIngress({ namespace: o.namespace, name, ips: [ipOf(i)] });
    await sleep(PACE_MS);
  }
  const polls = await poller;
  console.log(summary('(a) status write -> /128 installed with every next hop', ms));
  console.log(`    ${polls} router polls; load ${loadavg()}`);
  console.log(`    ${await applyCounts(o.nodes)}`);
  await clearServices({ namespace: o.namespace, names, netns: o.netns });
}

async function scalePhase(o: Phase): Promise<void> {
  const names = await createServices({
    namespace: o.namespace,
    count: SCALE_COUNT,
    prefix: 'scale',
    loadBalancerClass: CLASS,
  });
  const pending = new Set(names.map((_, i) => ipOf(i)));
  let last = 0;
  console.log(`(b) ${SCALE_COUNT} Services, every status written at once; load ${loadavg()}`);
  const t0 = performance.now();
  const poller = pollRouter({
    netns: o.netns,
    pending,
    want: o.want,
    deadline: t0 + TIMEOUT_MS,
    seen: (_ip, at) => {
      last = Math.max(last, at);
    },
  });
  poller.catch(() => undefined);
  await mapLimit({
    items: names,
    limit: 16,
    fn: async (name, i) => {
      await setIngress({ namespace: o.namespace, name, ips: [ipOf(i)] });
    },
  });
  const written = performance.now() - t0;
  const polls = await poller;
  console.log(
    `(b) first status write -> router has all ${SCALE_COUNT} /128s with every next hop: ${Math.round(last - t0)} ms ` +
      `(status writes took ${Math.round(written)} ms; ${polls} router polls); load ${loadavg()}`,
  );
  console.log(`    ${await applyCounts(o.nodes)}`);
  await clearServices({ namespace: o.namespace, names, netns: o.netns });
}

async function main(): Promise<void> {
  // A registered user keeps other runs' teardown ("last user out") from taking the lab down under the bench.
  registerLabUser(labConfig());
  const plan = await ensureBgpLab();
  const nodes = labNodes();
  const netns = plan.router.netns;
  const want = (await nodeLinkLocals(nodes)).join(' ');
  let ns: TestNamespace | undefined;
  const speakers = new SpeakerSet({
    nodes,
    args: ['--load-balancer-class', CLASS, '--bgp-session-poll', '500ms'],
    ports: PORTS,
    name: NAME,
  });
  try {
    await installCrds();
    await apply(
      [
        `apiVersion: ironlb.io/v1alpha1\nkind: IPPool\nmetadata: {name: ${NAME}}\nspec:\n  addresses: ["${RANGE6}"]`,
        `apiVersion: ironlb.io/v1alpha1\nkind: BGPAdvertisement\nmetadata: {name: ${NAME}}\nspec:\n  ipPools: [${NAME}]\n  peers: [${NAME}]`,
        `apiVersion: ironlb.io/v1alpha1\nkind: BGPPeer\nmetadata: {name: ${NAME}}\nspec:\n  myASN: ${plan.nodeAsn}\n  peerASN: ${plan.router.asn}\n  peerAddress: "${plan.router.ipv6}"`,
      ].join('\n---\n'),
    );
    ns = await createTestNamespace(NAME);
    for (const node of nodes) speakers.start(node, bgpSpeakerArgs(node));
    await waitForBgpSessions({ nodes, metricsPort: PORTS.metrics, sessions: 1, timeoutMs: 120_000 });
    console.log(`sessions up on ${nodes.join(', ')}; expected gateways ${want}`);
    if (LATENCY_COUNT > 0) await latencyPhase({ namespace: ns.name, netns, want, nodes });
    if (SCALE_COUNT > 0) await scalePhase({ namespace: ns.name, netns, want, nodes });
  } finally {
    await speakers.stopAll().catch((e: unknown) => {
      console.error(`stopping speakers: ${String(e)}`);
    });
    for (const node of nodes) {
      await applyNodeFrrConfig(node, renderInitialNodeConfig(node)).catch((e: unknown) => {
        console.error(`${node}: restoring FRR: ${String(e)}`);
      });
    }
    await ns?.cleanup().catch((e: unknown) => {
      console.error(`namespace: ${String(e)}`);
    });
    await deleteObjects('bgppeers.ironlb.io', [NAME]).catch(() => undefined);
    await deleteObjects('bgpadvertisements.ironlb.io', [NAME]).catch(() => undefined);
    await deleteObjects('ippools.ironlb.io', [NAME]).catch(() => undefined);
    releaseLabUser(labConfig());
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
