/**
 * Watches come back fast after an API server restart: kube-apiserver is killed (SIGKILL, a real crash: its
 * connections are reset) for 20 s and started again; a Service created as soon as /readyz answers must get its IP
 * within ~1.5 s and be answered over ARP within ~2 s, as without an outage (informers restart on the first ready
 * probe instead of sitting out their backoff).
 *
 * DISTURBS CONCURRENT SUITES: every process using the shared lab loses the API server for ~20 s. The outage stays
 * inside this test (try/finally starts the API server again, also on failure). Isolation otherwise as usual: own
 * class and label (only our controller writes our Services, only our speakers announce them besides class-less
 * ones), own pool range restricted to our namespace, own ports and process names.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { V1Service } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labConfig } from '../lab/config.js';
import { ensureApiserver, restartControllerManager, stopApiserver } from '../lab/control-plane.js';
import {
  type ControllerProcess,
  ingressIPs,
  startController,
  waitReady,
} from './support/controller-process.js';
import { apply, deleteObjects, installCrds } from './support/ironlb.js';
import { runCleanup } from './support/cleanup.js';
import { createTestNamespace, kubeClients, type TestNamespace } from './support/kube.js';
import { L2Capture } from './support/l2-capture.js';
import { labNode, labNodes } from './support/nodes.js';
import { SpeakerSet } from './support/speakers.js';
import { waitFor } from './support/wait.js';

const NAME = 'e2e-apiserver-restart';
const CLASS = 'ironlb.io/e2e-apiserver-restart';
const LABEL = 'ironlb.io/e2e-apiserver-restart';
const RANGE = '198.51.100.224/29';
const CONTROLLER_PORT = 17497;
const SPEAKER_PORTS = { metrics: 27697, membership: 28169 };
const OUTAGE_MS = 20_000;

const { core } = kubeClients();
let ns: TestNamespace;
let controller: ControllerProcess | undefined;
let speakers: SpeakerSet | undefined;
let capture: L2Capture | undefined;
const macs = new Map(labNodes().map((n) => [labNode(n).mac.toLowerCase(), n]));

beforeAll(async () => {
  await installCrds();
  ns = await createTestNamespace('apiserver-restart');
  await apply(
    [
      `apiVersion: ironlb.io/v1alpha1\nkind: IPPool\nmetadata: {name: ${NAME}}\nspec:\n  addresses: ["${RANGE}"]\n  serviceAllocation: {priority: 0, namespaces: [${ns.name}]}`,
      `apiVersion: ironlb.io/v1alpha1\nkind: L2Announcement\nmetadata: {name: ${NAME}}\nspec:\n  ipPools: [${NAME}]`,
    ].join('\n---\n'),
  );
  controller = startController({
    port: CONTROLLER_PORT,
    identity: NAME,
    args: [`--load-balancer-class=${CLASS}`, `--service-label-selector=${LABEL}`],
  });
  speakers = new SpeakerSet({
    nodes: labNodes(),
    args: ['--load-balancer-class', CLASS, '--log-level', 'debug'],
    ports: SPEAKER_PORTS,
    name: `${NAME}-speaker`,
  });
  speakers.startAll();
  capture = new L2Capture({
    netns: process.env.LAB_CLIENT_NETNS ?? 'ilb-client',
    iface: 'eth0',
    ipv4: '192.0.2.100',
    ipv6: '2001:db8::100',
  });
  await capture.start();
  await waitReady(controller);
}, 120_000);

afterAll(async () => {
  // Never leave the shared lab without its API server, whatever happened above, and give the lab's
  // controller-manager fresh watches (its own backoff after the outage outlasts the next suites' waits); then
  // prove it works again (a new namespace gets its ServiceAccount) before the next suite needs it.
  await runCleanup([
    ['start kube-apiserver', () => ensureApiserver(labConfig())],
    ['restart kube-controller-manager', () => restartControllerManager(labConfig())],
    ['stop the capture', () => capture?.stop()],
    ['stop the speakers', () => speakers?.stopAll()],
    ['stop the controller', () => controller?.stop('SIGTERM')],
    ['delete the namespace', () => ns.cleanup()],
    ['delete the L2Announcement', () => deleteObjects('l2announcements.ironlb.io', [NAME])],
    ['delete the IPPool', () => deleteObjects('ippools.ironlb.io', [NAME])],
    ['controller-manager serves namespaces again', controllerManagerServes],
  ]);
}, 180_000);

/**
 * The lab's controller-manager creates the default ServiceAccount of a new namespace again (later suites wait
 * 20 s for it). A controller-manager that started while the new API server's authorizer was still syncing can sit
 * in a long backoff; it gets up to two more restarts, and the step fails if it still serves nothing after them.
 */
async function controllerManagerServes(): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await (await createTestNamespace('after-restart')).cleanup();
      return;
    } catch (error) {
      if (attempt === 3) throw error;
      console.warn(`apiserver-restart: controller-manager not serving (attempt ${attempt}), restarting it`);
      await restartControllerManager(labConfig());
    }
  }
}

function service(name: string): V1Service {
  return {
    metadata: { name, labels: { [LABEL]: 'true' } },
    spec: {
      type: 'LoadBalancer',
      loadBalancerClass: CLASS,
      selector: { app: name },
      ports: [{ port: 80, protocol: 'TCP' }],
      ipFamilyPolicy: 'SingleStack',
      ipFamilies: ['IPv4'],
      allocateLoadBalancerNodePorts: false,
    },
  };
}

/** Creates the Service; a create racing the API server's first seconds is retried (it is the test's, not ours). */
async function create(name: string): Promise<void> {
  await waitFor(() => core.createNamespacedService({ namespace: ns.name, body: service(name) }), {
    what: `create Service ${name}`,
    timeoutMs: 10_000,
    intervalMs: 20,
  });
}

async function ipOf(name: string, timeoutMs: number): Promise<string> {
  return waitFor(async () => ingressIPs(await core.readNamespacedService({ namespace: ns.name, name }))[0], {
    what: `an IP on ${name}`,
    timeoutMs,
    intervalMs: 25,
  });
}

/** The node whose MAC answers a who-has for `ip` from the client namespace. */
async function answeredBy(ip: string, timeoutMs: number): Promise<string> {
  return waitFor(
    async () => {
      const answered = (await capture?.whoAnswers(ip, 60)) ?? [];
      return answered.length === 1 ? macs.get(answered[0] ?? '') : undefined;
    },
    { what: `one node answering ARP for ${ip}`, timeoutMs, intervalMs: 1 },
  );
}

describe('kube-apiserver restart', () => {
  it('a Service created right after the API server is ready again gets its IP and ARP answers at normal speed', async () => {
    // Baseline without an outage (and proof that controller, speakers and capture work).
    let t = performance.now();
    await create('before');
    const ipBefore = await ipOf('before', 20_000);
    const baseIpMs = performance.now() - t;
    await answeredBy(ipBefore, 20_000);
    const baseArpMs = performance.now() - t;

    const config = labConfig();
    let readyAfterStartMs: number;
    try {
      expect(await stopApiserver(config, 'SIGKILL')).toBe(true);
      await sleep(OUTAGE_MS);
    } finally {
      t = performance.now();
      await ensureApiserver(config); // resolves once /readyz answers 200
      readyAfterStartMs = performance.now() - t;
    }
    const ready = performance.now();
    await create('after');
    const created = performance.now();
    const ip = await ipOf('after', 30_000);
    const ipMs = performance.now() - created;
    const node = await answeredBy(ip, 30_000);
    const arpMs = performance.now() - created;

    console.info(
      `apiserver restart: outage ${OUTAGE_MS} ms (SIGKILL), /readyz ok ${Math.round(readyAfterStartMs)} ms after ` +
        `start; Service created ${Math.round(created - ready)} ms after ready; IP ${ip} after ` +
        `${Math.round(ipMs)} ms, first ARP answer (${node}) after ${Math.round(arpMs)} ms; ` +
        `baseline without outage: IP ${Math.round(baseIpMs)} ms, ARP ${Math.round(baseArpMs)} ms`,
    );
    expect(ipMs).toBeLessThan(1500);
    expect(arpMs).toBeLessThan(2000);
    // The Service from before the outage kept its IP.
    expect(ingressIPs(await core.readNamespacedService({ namespace: ns.name, name: 'before' }))).toEqual([
      ipBefore,
    ]);
  });
});
