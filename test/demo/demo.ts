/**
 * `pnpm demo` (README command 1): brings up the lab, installs ironlb the way the chart does (CRDs, a pool, an
 * L2Announcement), starts the controller and one speaker per node, deploys an echo workload behind a
 * LoadBalancer Service, reaches it from the client namespace, takes the announcing node off the LAN and shows
 * the measured failover. Leaves everything running for exploring; `pnpm lab down` removes it all.
 *
 * Network safety: every packet stays inside the lab's namespaces; nothing is sent from the root namespace to a
 * lab address.
 */
import { fileURLToPath } from 'node:url';
import { labConfig, labPaths } from '../lab/config.js';
import { labUp } from '../lab/lab.js';
import { readLiveRecord, startDetached } from '../lab/processes.js';
import {
  apply,
  createReadyPod,
  httpGetFromClient,
  installCrds,
  kubeClients,
  kubectl,
  labKubeconfigPath,
  labNode,
  labNodes,
  netnsExec,
  recoveredAfter,
  startClientProbe,
  waitFor,
} from '../e2e/support/index.js';
import { detail, heading, success } from './ui.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const NAMESPACE = 'demo';
const DEMO_SECRET = 'ironlb-demo-membership-secret-0123456789';

function ensureProcess(o: { name: string; argv: string[]; netns?: string; env?: NodeJS.ProcessEnv }): string {
  const paths = labPaths(labConfig());
  const live = readLiveRecord(paths.pids, o.name);
  if (live) return `${o.name} already running (pid ${live.pid})`;
  const argv = o.netns ? ['ip', 'netns', 'exec', o.netns, ...o.argv] : o.argv;
  const record = startDetached({
    name: o.name,
    argv,
    pidDir: paths.pids,
    logDir: paths.logs,
    cwd: ROOT,
    env: o.env,
  });
  return `started ${o.name} (pid ${record.pid}, log ${record.log})`;
}

async function installIronlb(): Promise<void> {
  heading('Installing the ironlb CRDs, an IPPool and an L2Announcement');
  await installCrds();
  await apply(`apiVersion: ironlb.io/v1alpha1
kind: IPPool
metadata: {name: demo}
spec:
  addresses: ["198.51.100.0/28", "2001:db8:100::/124"]
  avoidBuggyIPs: true
---
apiVersion: ironlb.io/v1alpha1
kind: L2Announcement
metadata: {name: demo}
spec:
  ipPools: [demo]`);
  await kubectl(['create', 'namespace', 'ironlb-system']).catch(() => '');
  detail(await kubectl(['get', 'ippools']));
}

function startIronlb(): void {
  heading('Starting the controller and one speaker per node');
  const env = { ...process.env, KUBECONFIG: labKubeconfigPath(), POD_NAMESPACE: 'ironlb-system' };
  detail(
    ensureProcess({
      name: 'ironlb-controller',
      argv: [process.execPath, 'controller/dist/main.js', '--leader-elect', '--metrics-host=127.0.0.1'],
      env,
    }),
  );
  for (const node of labNodes()) {
    detail(
      ensureProcess({
        name: `ironlb-speaker-${node}`,
        netns: node,
        argv: [process.execPath, 'speaker/dist/main.js'],
        env: { ...env, NODE_NAME: node, IRONLB_MEMBERSHIP_SECRET: DEMO_SECRET },
      }),
    );
  }
}

async function deployEcho(): Promise<string> {
  heading('Deploying an echo workload and a type: LoadBalancer Service');
  const { core } = kubeClients();
  await kubectl(['create', 'namespace', NAMESPACE]).catch(() => '');
  await waitFor(
    () => core.readNamespacedServiceAccount({ name: 'default', namespace: NAMESPACE }).then(() => true),
    {
      what: 'default ServiceAccount',
    },
  );
  const nodes = labNodes();
  for (const [i, node] of nodes.entries()) {
    await createReadyPod({
      namespace: NAMESPACE,
      name: `echo-${i + 1}`,
      node,
      labels: { app: 'echo' },
    }).catch(() => undefined);
  }
  detail('pods echo-1..3, one per node (the lab has no kubelet: stand-in pods are marked Ready via the API)');
  await apply(`apiVersion: v1
kind: Service
metadata: {name: echo, namespace: ${NAMESPACE}}
spec:
  type: LoadBalancer
  selector: {app: echo}
  ports: [{name: http, port: 80, targetPort: 8080}]`);
  const ip = await waitFor(
    async () =>
      (await core.readNamespacedService({ name: 'echo', namespace: NAMESPACE })).status?.loadBalancer
        ?.ingress?.[0]?.ip,
    { what: 'an EXTERNAL-IP for demo/echo', timeoutMs: 60_000 },
  );
  detail(`$ kubectl get svc -n ${NAMESPACE}`);
  detail(await kubectl(['get', 'svc', '-n', NAMESPACE]));
  success(`EXTERNAL-IP ${ip} (not <pending>)`);
  return ip;
}

async function reach(ip: string): Promise<string> {
  heading(`Fetching http://${ip}/ from the client namespace`);
  const node = await waitFor(
    async () => {
      const r = await httpGetFromClient({ ip, timeoutMs: 1000 });
      return r.ok ? r.body.trim() : undefined;
    },
    { what: `an answer from ${ip}`, timeoutMs: 30_000 },
  );
  const neigh = await netnsExec('ilb-client', ['ip', 'neigh', 'show', ip]);
  detail(`$ ip netns exec ilb-client curl http://${ip}/   →   ${node}`);
  detail(`client neighbour entry: ${neigh.stdout.trim()}  (${node} has MAC ${labNode(node).mac})`);
  // Speakers record what they announce on their Node (written within a second of a change).
  await new Promise((r) => setTimeout(r, 1500));
  const annotation = await kubectl([
    'get',
    'nodes',
    '-o',
    'custom-columns=NODE:.metadata.name,ANNOUNCING:.metadata.annotations.ironlb\\.io/announcing',
  ]);
  detail(annotation);
  return node;
}

async function failover(ip: string, victim: string): Promise<void> {
  heading(`Taking ${victim} off the LAN (its link goes down) while the client probes every 10 ms`);
  const port = labNode(victim).bridgePort;
  const probe = startClientProbe({ netns: 'ilb-client', ip, intervalMs: 10 });
  await new Promise((r) => setTimeout(r, 500));
  const downAt = Date.now();
  await netnsExec('ilb-lan', ['ip', 'link', 'set', port, 'down']);
  await waitFor(() => probe.samples.some((s) => s.t > downAt && s.node !== null && s.node !== victim), {
    what: 'traffic to move to another node',
    timeoutMs: 10_000,
    intervalMs: 20,
  });
  await new Promise((r) => setTimeout(r, 300));
  const samples = await probe.stop();
  const took = recoveredAfter({ samples, since: downAt, accept: (n) => n !== victim });
  const after = samples.filter((s) => s.t > downAt + (took ?? 0) && s.node !== null);
  const newNode = after[0]?.node ?? '?';
  const failed = samples.filter((s) => s.t >= downAt && s.node === null).length;
  success(
    `traffic moved from ${victim} to ${newNode} in ${took ?? '?'} ms (${failed} probes failed meanwhile)`,
  );
  detail(`${samples.length} probes sent, ${samples.filter((s) => s.node !== null).length} answered`);
  await netnsExec('ilb-lan', ['ip', 'link', 'set', port, 'up']);
  detail(`${victim} is back on the LAN; its speaker rejoins and takes back the IPs it ranks first for`);
}

async function main(): Promise<void> {
  heading('Bringing up the lab (Kubernetes control plane + network namespaces)');
  const up = await labUp();
  detail(
    `lab up in ${(up.durationMs / 1000).toFixed(1)} s (started ${up.started.length}, reused ${up.alreadyRunning.length})`,
  );
  await installIronlb();
  startIronlb();
  const ip = await deployEcho();
  const node = await reach(ip);
  await failover(ip, node);
  heading('Events on the Service');
  detail(
    await kubectl([
      'get',
      'events',
      '-n',
      NAMESPACE,
      '--field-selector',
      'involvedObject.name=echo',
      '--sort-by=.metadata.creationTimestamp',
    ]),
  );
  heading('The lab is still up: explore it');
  detail(`eval "$(pnpm -s lab env)"
kubectl get svc -A; kubectl describe svc -n ${NAMESPACE} echo; kubectl get ippools
ip netns exec ilb-client curl http://${ip}/
logs: ${labPaths(labConfig()).logs}
tear everything down: make lab-down   (or: pnpm lab down)`);
}

main().catch((error: unknown) => {
  process.stderr.write(`demo failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
