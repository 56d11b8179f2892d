/**
 * The demo (README command 1, `make demo`), run by test/demo/demo.sh inside the demo's sandbox on the real-node lab
 * (IRONLB_LAB_MODE=real): brings the lab up, installs ironlb with the README's `helm install` (plus only the lab's
 * locally built image), creates an IPPool and an L2Announcement, an echo Deployment (a pod per node) behind a
 * LoadBalancer Service, fetches it from the client namespace (a real pod answers with its name and node), takes the
 * announcing node off the LAN while the client probes, prints the measured failover and the Service's events.
 * Everything stays up for exploring; `make lab-down` removes it. Every step is idempotent, so a second run reuses
 * what the first left.
 *
 * Network safety: every packet stays inside the lab's namespaces (and the sandbox); nothing is sent from the root
 * namespace to a lab address.
 */
import { resolve } from 'node:path';
import { labConfig, labPaths, type LabConfig } from '../lab/config.js';
import { labEnv, labUp } from '../lab/lab.js';
import { RELEASE_NAMESPACE, installIronlb } from '../lab/real/helm-install.js';
import {
  L2Capture,
  apply,
  kubeClients,
  kubectl,
  labNode,
  labNodes,
  netnsExec,
  waitFor,
} from '../e2e/support/index.js';
import {
  announcer,
  echoDeployment,
  externalIp,
  firstEchoAnswer,
  lbService,
  poolWithL2Announcement,
  rolloutStatus,
} from '../e2e-real/support.js';
import { linkDownFailover } from '../e2e-real/link-failover.js';
import { describeReport } from '../e2e-real/probe-report.js';
import { detail, heading, success } from './ui.js';

const NAMESPACE = 'demo';
const SERVICE = 'echo';
const POOL = 'demo';
const ADDRESSES = ['198.51.100.1-198.51.100.14'];

async function bringUpLab(config: LabConfig): Promise<void> {
  heading(
    'Bringing up the lab: Kubernetes v1.36.3 control plane, 3 nodes with containerd, kubelet, kube-proxy',
  );
  const up = await labUp(config);
  detail(
    `lab up in ${(up.durationMs / 1000).toFixed(1)} s (started ${up.started.length} processes, reused ${up.alreadyRunning.length})`,
  );
  detail('$ kubectl get nodes');
  detail(await kubectl(['get', 'nodes']));
}

async function helmInstall(config: LabConfig): Promise<void> {
  heading('Installing ironlb with Helm (the README’s command, with the image built locally)');
  const report = await installIronlb(config, {
    helm: process.env.IRONLB_HELM ?? 'helm',
    out: detail,
    rolloutTimeoutSeconds: 600,
  });
  detail(`$ kubectl get pods -n ${RELEASE_NAMESPACE} -o wide`);
  detail(await kubectl(['get', 'pods', '-n', RELEASE_NAMESPACE, '-o', 'wide']));
  success(
    `${report.installed ? 'installed' : 'already installed'} and rolled out in ${(report.durationMs / 1000).toFixed(1)} s`,
  );
}

async function createPool(): Promise<void> {
  heading('Creating an IPPool and an L2Announcement');
  const yaml = poolWithL2Announcement({ pool: POOL, addresses: ADDRESSES });
  detail(`$ kubectl apply -f - <<EOF\n${yaml}\nEOF`);
  await apply(yaml);
  detail('$ kubectl get ippools');
  detail(await kubectl(['get', 'ippools']));
}

async function deployEcho(): Promise<string> {
  heading('Deploying an echo Deployment (a pod per node) and a type: LoadBalancer Service');
  const { core } = kubeClients();
  await apply(`apiVersion: v1\nkind: Namespace\nmetadata: {name: ${NAMESPACE}}`);
  await waitFor(
    () => core.readNamespacedServiceAccount({ name: 'default', namespace: NAMESPACE }).then(() => true),
    { what: `the default ServiceAccount in ${NAMESPACE}`, timeoutMs: 30_000 },
  );
  await apply(echoDeployment({ namespace: NAMESPACE, name: SERVICE, replicas: labNodes().length }));
  await apply(lbService({ namespace: NAMESPACE, name: SERVICE, policy: 'Cluster' }));
  await rolloutStatus({ namespace: NAMESPACE, workload: `deployment/${SERVICE}` });
  const ip = await externalIp({ namespace: NAMESPACE, name: SERVICE });
  detail(`$ kubectl get pods -n ${NAMESPACE} -o wide`);
  detail(await kubectl(['get', 'pods', '-n', NAMESPACE, '-o', 'wide']));
  detail(`$ kubectl get svc -n ${NAMESPACE}`);
  detail(await kubectl(['get', 'svc', '-n', NAMESPACE]));
  success(`EXTERNAL-IP ${ip} (not <pending>)`);
  return ip;
}

async function reach(ip: string, capture: L2Capture): Promise<string> {
  const client = labConfig().client.netns;
  heading(`Fetching http://${ip}/ from the client namespace (${client}, a host on the nodes’ LAN)`);
  // The speaker may announce the IP a moment before that node's kube-proxy has programmed it.
  await firstEchoAnswer(ip);
  for (let i = 0; i < 3; i++) {
    const { stdout } = await netnsExec(client, ['curl', '-sS', '-m', '3', `http://${ip}/`]);
    detail(`$ ip netns exec ${client} curl http://${ip}/   →   ${stdout.trim()}   (pod, node)`);
  }
  const node = await announcer(capture, ip);
  detail(
    `ARP who-has ${ip}: is-at ${labNode(node).mac}, ${node} (kube-proxy there forwards to any echo pod)`,
  );
  // Speakers record what they announce on their Node (written within a second of a change).
  await waitFor(
    async () =>
      (await kubeClients().core.readNode({ name: node })).metadata?.annotations?.[
        'ironlb.io/announcing'
      ]?.includes(ip),
    { what: `${node}'s ironlb.io/announcing annotation listing ${ip}`, timeoutMs: 10_000 },
  ).catch(() => undefined);
  detail(
    await kubectl([
      'get',
      'nodes',
      '-o',
      'custom-columns=NODE:.metadata.name,ANNOUNCING:.metadata.annotations.ironlb\\.io/announcing',
    ]),
  );
  return node;
}

async function failover(
  ip: string,
  victim: string,
  capture: L2Capture,
): Promise<{ victim: string; newOwner: string }> {
  heading(`Taking ${victim} off the LAN (its link goes down) while the client connects every 20 ms`);
  const f = await linkDownFailover({ capture, ip, victim });
  if (f.firstAnswerMs === null) throw new Error(`no answer from ${ip} after ${victim} went off the LAN`);
  // The link went down while `ip link set down` ran: the true time lies between the two figures.
  const upper = f.firstAnswerMs + f.downCommandMs;
  success(`traffic moved from ${victim} to ${f.newOwner} in ${f.firstAnswerMs}–${upper} ms`);
  detail(
    `(first answer after \`ip link set down\` returned; the command took ${f.downCommandMs} ms on this machine)`,
  );
  detail(describeReport(f.report));
  detail(
    `(failures after the take-over: probably connections kube-proxy sent on to the echo pod on ${victim})`,
  );
  detail(`${victim} is back on the LAN; its speaker rejoins and takes back the IPs it ranks first for`);
  return f;
}

async function events(f: { victim: string; newOwner: string }): Promise<void> {
  heading('Events on the Service');
  // The take-over's event is written by the new announcer's speaker a moment after it answers ARP.
  const takeover = (line: string): boolean =>
    line.includes(`by node ${f.newOwner} `) && line.includes(`took over from ${f.victim}`);
  await waitFor(async () => (await serviceEvents()).split('\n').some(takeover) || undefined, {
    what: `an Announcing event of ${f.newOwner} taking over from ${f.victim}`,
    timeoutMs: 10_000,
  }).catch(() => undefined);
  detail(`$ kubectl events -n ${NAMESPACE} --for service/${SERVICE}`);
  detail(await serviceEvents());
}

/** The Service's events, oldest first by when they were last seen (a repeated event counts as one line). */
function serviceEvents(): Promise<string> {
  return kubectl(['events', '-n', NAMESPACE, '--for', `service/${SERVICE}`]);
}

function explore(config: LabConfig, ip: string): void {
  heading('The cluster is still up: explore it');
  const sandbox = process.env.IRONLB_DEMO_SANDBOX ?? 'demo';
  const prefix = sandbox === 'demo' ? '' : `IRONLB_DEMO_SANDBOX=${sandbox} `;
  const demo = `${prefix}test/demo/demo.sh`;
  detail(`The lab runs in its own sandbox "${sandbox}" (network and mount namespaces), beside any other lab:
$ ${demo} kubectl get pods -A -o wide
$ ${demo} kubectl logs -n ${RELEASE_NAMESPACE} daemonset/ironlb-speaker
$ ${demo} shell   # a shell in the sandbox: kubectl and helm, KUBECONFIG=${labEnv(config).KUBECONFIG}
(ironlb demo) # ip netns exec ${config.client.netns} curl http://${ip}/
lab logs: ${labPaths(config).logs}; pod logs: ${resolve(config.dir, 'real')}/<node>/pod-logs/
tear everything down: make lab-down`);
}

async function main(): Promise<void> {
  const config = labConfig();
  if (config.mode !== 'real') throw new Error('run the demo with make demo (test/demo/demo.sh)');
  await bringUpLab(config);
  await helmInstall(config);
  await createPool();
  const ip = await deployEcho();
  const { client } = config;
  const capture = new L2Capture({ netns: client.netns, iface: 'eth0', ipv4: client.ipv4, ipv6: client.ipv6 });
  await capture.start();
  try {
    const node = await reach(ip, capture);
    await events(await failover(ip, node, capture));
  } finally {
    capture.stop();
  }
  explore(config, ip);
}

main().catch((error: unknown) => {
  process.stderr.write(
    `demo failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
