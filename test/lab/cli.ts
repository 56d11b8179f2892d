/**
 * The lab CLI (`pnpm lab <command>`):
 *   up                          start everything that is not running (idempotent), print what started and the time
 *   down                        stop every recorded process, delete every lab namespace/link and the etcd data
 *   status                      processes, namespaces, apiserver readiness
 *   env                         shell exports (eval "$(pnpm -s lab env)")
 *   kubelet stop|start <node>   stop/start one node's kubelet stand-in (the node goes NotReady / Ready)
 *   bgp up                      bring up the BGP router, BGP client and per-node FRR on the running lab (idempotent)
 *   install                     real mode: `helm install` ironlb as README.md says, with the lab's image; waits
 *                               for the rollout and prints `kubectl get pods -n ironlb-system` (IRONLB_HELM: helm)
 *   apiserver stop|start|restart [seconds]
 *                               kill kube-apiserver (SIGKILL) / start it and wait for /readyz / both, with
 *                               `seconds` (default 20) of outage; disturbs every run sharing the lab
 * Environment: IRONLB_LAB_DIR (default /tmp/ironlb-lab), IRONLB_LAB_NODES (default 3), IRONLB_K8S_BIN_DIR, IRONLB_ETCD,
 * IRONLB_LAB_MODE (stand-in | real; real nodes are work in progress, see test/lab/README.md), IRONLB_LAB_BGP=1 (`up`
 * includes `bgp up`).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { ensureLabBgp } from './bgp/bgp-lab.js';
import { bgpLabPlan } from './bgp/plan.js';
import { findNode, labConfig } from './config.js';
import { ensureApiserver, stopApiserver } from './control-plane.js';
import { labDown, labEnv, labStatus, labUp } from './lab.js';
import { startAgent, stopAgent } from './node-agents.js';
import { installIronlb } from './real/helm-install.js';
import { startRealKubelet } from './real/real-node.js';
import { otherLabUsers } from './sharing.js';

const out = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

async function up(): Promise<number> {
  const report = await labUp(labConfig());
  for (const r of report.started) out(`started ${r.name} (pid ${r.pid})`);
  for (const r of report.alreadyRunning) out(`already running ${r.name} (pid ${r.pid})`);
  const phases = Object.entries(report.phases).map(([k, v]) => `${k} ${(v / 1000).toFixed(1)}s`);
  out(`lab up in ${(report.durationMs / 1000).toFixed(1)} s (${phases.join(', ')})`);
  for (const [k, v] of Object.entries(labEnv())) out(`export ${k}='${v}'`);
  return 0;
}

async function down(): Promise<number> {
  const config = labConfig();
  for (const user of otherLabUsers(config)) out(`warning: e2e run pid ${user.pid} is still using the lab`);
  const report = await labDown(config);
  for (const name of report.stopped) out(`stopped ${name}`);
  for (const what of report.removed) out(`removed ${what}`);
  for (const what of report.leftovers) out(`LEFT BEHIND: ${what}`);
  return report.leftovers.length === 0 ? 0 : 1;
}

async function status(): Promise<number> {
  const s = await labStatus(labConfig());
  out(`apiserver ready: ${s.apiserverReady}`);
  for (const p of s.processes) out(`${p.alive ? 'running' : 'dead   '} ${p.name} (pid ${p.pid})`);
  out(`namespaces: ${s.namespaces.join(' ') || '(none)'}`);
  out(`links: ${s.links.join(' ') || '(none)'}`);
  const users = otherLabUsers(labConfig()).map((u) => u.pid);
  out(`e2e runs using the lab: ${users.join(' ') || '(none)'}`);
  return s.apiserverReady ? 0 : 1;
}

async function bgp(action: string | undefined): Promise<number> {
  if (action !== 'up') return usage();
  const config = labConfig();
  const t0 = performance.now();
  for (const r of await ensureLabBgp(config)) {
    out(`${r.started ? 'started' : 'already running'} ${r.name} (pid ${r.pid})`);
  }
  const plan = bgpLabPlan(config);
  out(`bgp up in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  out(
    `router ${plan.router.netns} AS${plan.router.asn} ${plan.router.ipv4} ${plan.router.ipv6}: ${plan.router.frr.vtysh.join(' ')}`,
  );
  for (const n of plan.nodes) out(`${n.netns}: ${n.vtysh.join(' ')} (config ${n.configPath})`);
  return 0;
}

async function kubelet(action: string | undefined, node: string | undefined): Promise<number> {
  if (node === undefined || (action !== 'start' && action !== 'stop')) return usage();
  const config = labConfig();
  if (action === 'stop') {
    out(
      (await stopAgent(config, { kind: 'kubelet', node }))
        ? `stopped kubelet-${node}`
        : `kubelet-${node} not running`,
    );
  } else {
    const r =
      config.mode === 'real'
        ? startRealKubelet(config, findNode(config, node))
        : startAgent(config, { kind: 'kubelet', node });
    out(`${r.started ? 'started' : 'already running'} ${r.name} (pid ${r.pid})`);
  }
  return 0;
}

async function apiserver(action: string | undefined, seconds: string | undefined): Promise<number> {
  const config = labConfig();
  const outageMs = seconds === undefined ? 20_000 : Number(seconds) * 1000;
  if (!Number.isFinite(outageMs) || outageMs < 0) return usage();
  if (action === 'stop' || action === 'restart') {
    out((await stopApiserver(config)) ? 'killed kube-apiserver' : 'kube-apiserver not running');
  }
  if (action === 'restart') await sleep(outageMs);
  if (action === 'start' || action === 'restart') {
    const t0 = performance.now();
    const r = await ensureApiserver(config);
    const how = r.started ? 'started' : 'already running';
    out(`${how} kube-apiserver (pid ${r.pid}), ready after ${Math.round(performance.now() - t0)} ms`);
  }
  return action === 'stop' || action === 'start' || action === 'restart' ? 0 : usage();
}

async function install(): Promise<number> {
  const report = await installIronlb(labConfig(), {
    helm: process.env.IRONLB_HELM ?? 'helm',
    out,
    rolloutTimeoutSeconds: 600,
  });
  out(`$ kubectl get pods -n ironlb-system\n${report.pods.trimEnd()}`);
  const how = report.installed ? 'installed' : 'already installed';
  out(
    `ironlb ${how} (${report.image.repository}:${report.image.tag}) and rolled out in ${(report.durationMs / 1000).toFixed(1)} s`,
  );
  return 0;
}

function usage(): number {
  process.stderr.write(
    'usage: lab up | down | status | env | install | bgp up | kubelet stop|start <node> | apiserver stop|start|restart [seconds]\n',
  );
  return 2;
}

async function main(argv: readonly string[]): Promise<number> {
  switch (argv[0]) {
    case 'up':
      return up();
    case 'down':
      return down();
    case 'status':
      return status();
    case 'env':
      for (const [k, v] of Object.entries(labEnv())) out(`export ${k}='${v}'`);
      return 0;
    case 'bgp':
      return bgp(argv[1]);
    case 'install':
      return install();
    case 'kubelet':
      return kubelet(argv[1], argv[2]);
    case 'apiserver':
      return apiserver(argv[1], argv[2]);
    default:
      return usage();
  }
}

process.exitCode = await main(process.argv.slice(2));
