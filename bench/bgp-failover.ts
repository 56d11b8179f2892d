/**
 * BGP mode, node failure (issue 12): a node's bridge port in the LAN namespace goes down; measured per trial:
 *   - route: link down → the router's kernel forwards the Service's /32 only to the remaining nodes;
 *   - recovered: link down → start of the last probe whose TCP handshake failed (after it, every new connection
 *     of the client behind the router reaches a live node: client traffic flows again);
 *   - gap: the client's longest stretch without any answer (flows hashed to the other nodes keep answering).
 * With BFD (default): the BGPPeer names a BFDProfile of 50 ms × 3. With `--no-bfd`: no BFDProfile, so the node's
 * next hop goes only when the router's hold timer expires (FRR's `datacenter` defaults: keepalive 3 s, hold 9 s).
 * That bound holds because the speaker's FRR advertises graceful restart without the RFC 8538 N-bit: with it, the
 * router (a graceful-restart helper) kept the node's routes as stale for the 120 s restart time after the hold timer
 * expired (speaker/src/bgp/frr-config.ts).
 *
 * Setup as in test/e2e/speaker-bgp-failover.test.ts (no controller; the bench writes the Service status; the IP is
 * pinned on every node so each node's responder answers it). Own class, pool 198.51.100.24/29 (used by no suite),
 * names, ports. Everything it creates is removed in a finally (links restored, node FRR back to the lab's initial
 * config). Shares the nodes' FRR with the speaker-bgp* e2e suites and bench:bgp-routes: run alone.
 *
 * Run (root, lab up with BGP, after `pnpm build`): pnpm --filter @ironlb/bench bench:bgp-failover [--trials 10] [--no-bfd]
 */
import { parseArgs } from 'node:util';
import { renderInitialNodeConfig } from '../test/lab/bgp/frr-config.js';
import { labConfig } from '../test/lab/config.js';
import { run } from '../test/lab/exec.js';
import {
  apply,
  createLbService,
  createTestNamespace,
  deleteObjects,
  installCrds,
  labNode,
  labNodes,
  percentile,
  pinAddress,
  setIngress,
  SpeakerSet,
  startClientProbe,
  waitFor,
  type PinnedAddress,
  type ProbeSample,
  type TestNamespace,
} from '../test/e2e/support/index.js';
import {
  applyNodeFrrConfig,
  bgpSpeakerArgs,
  ensureBgpLab,
  routerKernelGateways,
  waitForBgpSessions,
} from '../test/e2e/support/router.js';
import { loadavg, sleep } from './speaker-lab.js';

const NAME = 'bench-bgp-failover';
const CLASS = 'bench.ironlb.io/bgp-failover';
const PORTS = { metrics: 24853, membership: 24919 };
const RANGE4 = '198.51.100.24/29';
const IP = '198.51.100.25';

const { values: flags } = parseArgs({
  options: { trials: { type: 'string', default: '10' }, 'no-bfd': { type: 'boolean', default: false } },
});
const TRIALS = Number(flags.trials);
const BFD = !flags['no-bfd'];
if (!Number.isInteger(TRIALS) || TRIALS < 1) throw new Error('--trials must be a whole number ≥ 1');

const lanNetns = labConfig().lanNetns;
const downLinks = new Set<string>();

async function setLink(port: string, state: 'up' | 'down'): Promise<void> {
  await run('ip', ['-n', lanNetns, 'link', 'set', port, state]);
  if (state === 'down') downLinks.add(port);
  else downLinks.delete(port);
}

/**
 * The lab is shared: another user's `lab up` (or an e2e global setup) re-attaches every node's bridge port and
 * brings it up, which ends a trial's outage early. Fails the run with that reason instead of a route timeout.
 */
async function checkLinksStillDown(): Promise<void> {
  for (const port of downLinks) {
    const { stdout } = await run('ip', ['-n', lanNetns, '-br', 'link', 'show', port]);
    if (!/\bDOWN\b/.test(stdout))
      throw new Error(
        `${port} is up again although this bench took it down: another lab user re-attached it`,
      );
  }
}

/** Polls the router's kernel route to IP until its gateways are exactly `want`; ms since `since` (epoch ms). */
async function routeAfter(want: readonly string[], since: number, timeoutMs: number): Promise<number> {
  const key = [...want].sort().join(' ');
  let checkedAt = Date.now();
  for (;;) {
    if ((await routerKernelGateways(IP)).join(' ') === key) return Date.now() - since;
    // Once a second only: each check is one more process, which would delay the sub-second BFD measurement.
    if (Date.now() - checkedAt >= 1000) {
      await checkLinksStillDown();
      checkedAt = Date.now();
    }
    if (Date.now() - since > timeoutMs)
      throw new Error(`router route to ${IP} not via [${key}] after ${timeoutMs} ms`);
    await sleep(20);
  }
}

function longestGapMs(samples: readonly ProbeSample[], from: number, to: number): number {
  const points = [
    from,
    ...samples.filter((s) => s.node !== null && s.t >= from && s.t <= to).map((s) => s.t),
    to,
  ];
  points.sort((a, b) => a - b);
  let gap = 0;
  for (let i = 1; i < points.length; i++) gap = Math.max(gap, (points[i] ?? 0) - (points[i - 1] ?? 0));
  return gap;
}

function report(label: string, values: readonly number[]): void {
  console.log(
    `${label}: n=${values.length} p50=${percentile(values, 50)} ms p99=${percentile(values, 99)} ms max=${Math.max(...values)} ms all=${values.join(',')}`,
  );
}

async function main(): Promise<void> {
  const plan = await ensureBgpLab();
  const nodes = labNodes();
  const v4 = nodes.map((n) => labNode(n).ipv4);
  const pins: PinnedAddress[] = [];
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
        `apiVersion: ironlb.io/v1alpha1\nkind: IPPool\nmetadata: {name: ${NAME}}\nspec:\n  addresses: ["${RANGE4}"]`,
        `apiVersion: ironlb.io/v1alpha1\nkind: BFDProfile\nmetadata: {name: ${NAME}}\nspec:\n  receiveInterval: 50\n  transmitInterval: 50\n  detectMultiplier: 3`,
        `apiVersion: ironlb.io/v1alpha1\nkind: BGPAdvertisement\nmetadata: {name: ${NAME}}\nspec:\n  ipPools: [${NAME}]\n  peers: [${NAME}]`,
        `apiVersion: ironlb.io/v1alpha1\nkind: BGPPeer\nmetadata: {name: ${NAME}}\nspec:\n  myASN: ${plan.nodeAsn}\n  peerASN: ${plan.router.asn}\n  peerAddress: "${plan.router.ipv4}"${BFD ? `\n  bfdProfile: ${NAME}` : ''}`,
      ].join('\n---\n'),
    );
    ns = await createTestNamespace(NAME);
    for (const node of nodes) pins.push(await pinAddress({ node, ip: IP }));
    for (const node of nodes) speakers.start(node, bgpSpeakerArgs(node));
    await waitForBgpSessions({ nodes, metricsPort: PORTS.metrics, sessions: 1, timeoutMs: 120_000 });
    await createLbService({
      namespace: ns.name,
      name: 'fo',
      loadBalancerClass: CLASS,
      ipFamilyPolicy: 'SingleStack',
      ipFamilies: ['IPv4'],
      allocateLoadBalancerNodePorts: false,
    });
    await setIngress({ namespace: ns.name, name: 'fo', ips: [IP] });
    console.log(`BFD ${BFD ? '50 ms x 3' : 'off (hold time 9 s)'}, ${TRIALS} trials; load ${loadavg()}`);
    const routeMs: number[] = [];
    const recoveredMs: number[] = [];
    const gapMs: number[] = [];
    for (let i = 0; i < TRIALS; i++) {
      const victim = nodes[i % nodes.length] ?? '';
      const remaining = nodes.filter((n) => n !== victim).map((n) => labNode(n).ipv4);
      await routeAfter(v4, Date.now(), 180_000);
      const probe = startClientProbe({ netns: plan.client.netns, ip: IP, intervalMs: 10 });
      await waitFor(() => probe.samples.filter((x) => x.node !== null).length >= 10, {
        what: 'the client probe answered 10 times',
        timeoutMs: 15_000,
        intervalMs: 50,
      });
      const downAt = Date.now();
      await setLink(labNode(victim).bridgePort, 'down');
      try {
        routeMs.push(await routeAfter(remaining, downAt, 30_000));
        const routedAt = downAt + (routeMs.at(-1) ?? 0);
        await sleep(1500);
        const samples = await probe.stop();
        // Attempts whose TCP handshake failed (sent to the dead node), started after the link went down and before
        // the end of the window (the last 300 ms are left out: those may not have finished). A late answer on the
        // loaded machine (handshake done, no answer within 200 ms) is not a failure to reach a node.
        const failed = samples.filter((s) => !s.connected && s.t >= downAt && s.t <= routedAt + 1200);
        recoveredMs.push(failed.length === 0 ? 0 : Math.max(...failed.map((s) => s.t)) - downAt);
        gapMs.push(longestGapMs(samples, downAt - 300, routedAt + 1200));
        console.log(
          `trial ${i + 1} (${victim} down): route ${routeMs.at(-1)} ms, recovered ${recoveredMs.at(-1)} ms, gap ${gapMs.at(-1)} ms, ${failed.length} failed handshakes`,
        );
      } finally {
        await probe.stop();
        await setLink(labNode(victim).bridgePort, 'up');
      }
    }
    report('link down -> next hop removed on the router', routeMs);
    report('link down -> client traffic flows again (last failed probe)', recoveredMs);
    report("client's longest gap without an answer", gapMs);
    console.log(`load ${loadavg()}`);
  } finally {
    for (const port of [...downLinks])
      await setLink(port, 'up').catch((e: unknown) => {
        console.error(String(e));
      });
    await speakers.stopAll().catch((e: unknown) => {
      console.error(`stopping speakers: ${String(e)}`);
    });
    for (const pin of pins)
      await pin.unpin().catch((e: unknown) => {
        console.error(String(e));
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
    await deleteObjects('bfdprofiles.ironlb.io', [NAME]).catch(() => undefined);
    await deleteObjects('ippools.ironlb.io', [NAME]).catch(() => undefined);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
