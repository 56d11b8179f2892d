import type { V1Node } from '@kubernetes/client-node';
import { findNode, labConfig } from '../../lab/config.js';
import type { LabMember } from '../../lab/config.js';
import type { StartResult } from '../../lab/control-plane.js';
import { startAgent, stopAgent } from '../../lab/node-agents.js';
import { kubeClients } from './kube.js';

/** Names of the lab nodes (== their network namespaces), e.g. ['ilb-node-1', 'ilb-node-2', 'ilb-node-3']. */
export function labNodes(): string[] {
  return labConfig().nodes.map((n) => n.netns);
}

/** Addresses and MAC of a lab node. */
export function labNode(name: string): LabMember {
  return findNode(labConfig(), name);
}

/** Stops the node's kubelet stand-in: after the configured grace period the node goes NotReady. */
export function stopKubelet(node: string): Promise<boolean> {
  return stopAgent(labConfig(), { kind: 'kubelet', node });
}

/** (Re)starts the node's kubelet stand-in; it re-posts Ready at once. */
export function startKubelet(node: string): StartResult {
  return startAgent(labConfig(), { kind: 'kubelet', node });
}

/** The node's Ready condition status: 'True', 'False', 'Unknown' or undefined if absent. */
export function readyStatus(node: V1Node): string | undefined {
  return node.status?.conditions?.find((c) => c.type === 'Ready')?.status;
}

export async function nodeReadyStatus(name: string): Promise<string | undefined> {
  return readyStatus(await kubeClients().core.readNode({ name }));
}

/**
 * Bounds for "kubelet stand-in stopped → node NotReady", derived from the controller-manager flags. The last Lease
 * renewal happened at most `leaseRenewSeconds` before the stop, and the controller marks the node once
 * `--node-monitor-grace-period` has passed since it observed that renewal, checking every `--node-monitor-period`.
 * So: min = grace − renew interval − 1 s; max = grace + 2 × period + 2 s (watch propagation and polling).
 */
export function notReadyBoundsMs(): { min: number; max: number } {
  const c = labConfig();
  return {
    min: (c.nodeMonitorGracePeriodSeconds - c.leaseRenewSeconds - 1) * 1000,
    max: (c.nodeMonitorGracePeriodSeconds + 2 * c.nodeMonitorPeriodSeconds + 2) * 1000,
  };
}
