import { join } from 'node:path';
import type { LabConfig, LabMember } from './config.js';
import { apiserverUrl, findNode, labPaths } from './config.js';
import type { StartResult } from './control-plane.js';
import { readLiveRecord, startDetached, stopRecorded } from './processes.js';

/**
 * Per-node stand-in processes, each started inside the node's namespace with `ip netns exec` and recorded as
 * `kubelet-<node>` / `kube-proxy-<node>` in the lab pid directory.
 */
export type AgentKind = 'kubelet' | 'kube-proxy';

export function agentName(kind: AgentKind, node: string): string {
  return `${kind}-${node}`;
}

function agentEnv(config: LabConfig, kind: AgentKind, node: LabMember): NodeJS.ProcessEnv {
  const { pki } = labPaths(config);
  const identity = kind === 'kubelet' ? `node-${node.netns}` : 'kube-proxy';
  const common = {
    PATH: process.env.PATH,
    NODE_NAME: node.netns,
    API_SERVER: apiserverUrl(config),
    CA_FILE: join(pki, 'ca.crt'),
    CERT_FILE: join(pki, `${identity}.crt`),
    KEY_FILE: join(pki, `${identity}.key`),
  };
  if (kind === 'kubelet') {
    return {
      ...common,
      NODE_IPS: `${node.ipv4},${node.ipv6}`,
      LEASE_RENEW_SECONDS: `${config.leaseRenewSeconds}`,
      STATUS_UPDATE_SECONDS: `${config.statusUpdateSeconds}`,
    };
  }
  return {
    ...common,
    LB_DEVICE: config.lbDevice,
    RESPONDER_PORT: `${config.responderPort}`,
  };
}

/** Starts one stand-in unless it is already running. */
export function startAgent(config: LabConfig, options: { kind: AgentKind; node: string }): StartResult {
  const node = findNode(config, options.node);
  const name = agentName(options.kind, node.netns);
  const { pids, logs } = labPaths(config);
  const running = readLiveRecord(pids, name);
  if (running) return { name, pid: running.pid, started: false };
  const script = join(config.repoRoot, 'test/lab/stand-ins', `${options.kind}.ts`);
  const record = startDetached({
    name,
    // `--import tsx` resolves from the repository root (cwd), where tsx is a dev dependency.
    argv: [
      'ip',
      'netns',
      'exec',
      node.netns,
      process.execPath,
      '--conditions=ironlb-source',
      '--import',
      'tsx',
      script,
    ],
    pidDir: pids,
    logDir: logs,
    env: agentEnv(config, options.kind, node),
    cwd: config.repoRoot,
  });
  return { name, pid: record.pid, started: true };
}

/** Stops one stand-in (SIGTERM, then SIGKILL); resolves to whether it was running. */
export function stopAgent(config: LabConfig, options: { kind: AgentKind; node: string }): Promise<boolean> {
  const node = findNode(config, options.node);
  return stopRecorded({ pidDir: labPaths(config).pids, name: agentName(options.kind, node.netns) });
}
