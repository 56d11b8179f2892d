import { serviceHasLocalEndpoint } from './endpoints.js';
import type { EligibilityInput, Ineligible, IpFacts, NodeFacts } from './types.js';

export const EXCLUDE_FROM_LB_LABEL = 'node.kubernetes.io/exclude-from-external-load-balancers';

type Check = (input: EligibilityInput) => Ineligible | null;

const speakerAlive: Check = ({ speakerAlive: alive, node }) =>
  alive ? null : { reason: 'SpeakerNotAlive', message: `the speaker on node ${node.name} is not alive` };

const hasAnnouncement: Check = ({ announcements, ip }) =>
  announcements.length > 0
    ? null
    : { reason: 'NoL2Announcement', message: `no L2Announcement selects the pool of ${ip}` };

const nodeSelected: Check = ({ announcements, node }) => {
  const matches = announcements.some((a) =>
    typeof a.nodeSelector === 'boolean' ? a.nodeSelector : a.nodeSelector(node.labels),
  );
  if (matches) return null;
  const names = announcements.map((a) => a.name).join(', ');
  return { reason: 'NodeSelectorMismatch', message: `node ${node.name} matches no nodeSelector of ${names}` };
};

const nodeReady: Check = ({ node }) =>
  node.ready ? null : { reason: 'NodeNotReady', message: `node ${node.name} is not Ready` };

const nodeNotExcluded: Check = ({ node }) =>
  Object.hasOwn(node.labels, EXCLUDE_FROM_LB_LABEL)
    ? { reason: 'NodeExcluded', message: `node ${node.name} has label ${EXCLUDE_FROM_LB_LABEL}` }
    : null;

const networkAvailable: Check = ({ node }) =>
  node.networkUnavailable
    ? { reason: 'NetworkUnavailable', message: `node ${node.name} has condition NetworkUnavailable=True` }
    : null;

/** A Cluster-policy Service on the IP makes every node usable; otherwise one Local Service needs an endpoint here. */
const localEndpoints: Check = ({ services, node, ip }) => {
  if (services.length === 0 || services.some((s) => s.externalTrafficPolicy === 'Cluster')) return null;
  if (services.some((s) => serviceHasLocalEndpoint(s, node.name))) return null;
  const names = services.map((s) => `${s.namespace}/${s.name}`).join(', ');
  return {
    reason: 'NoLocalEndpoints',
    message: `externalTrafficPolicy Local and node ${node.name} has no ready endpoint of ${names} for ${ip}`,
  };
};

/** Evaluated in this order; the first failing check is the reason. */
const CHECKS: readonly Check[] = [
  speakerAlive,
  hasAnnouncement,
  nodeSelected,
  nodeReady,
  nodeNotExcluded,
  networkAvailable,
  localEndpoints,
];

/** Why the node must not announce the IP, or null if it is eligible. */
export function whyNotEligible(input: EligibilityInput): Ineligible | null {
  for (const check of CHECKS) {
    const verdict = check(input);
    if (verdict !== null) return verdict;
  }
  return null;
}

export interface NodesForIp {
  ip: IpFacts;
  nodes: readonly NodeFacts[];
  /** Names of nodes whose speaker is alive. */
  aliveSpeakers: ReadonlySet<string>;
}

/** The verdict for every node, in input order. */
export function explainNodes(input: NodesForIp): { node: string; ineligible: Ineligible | null }[] {
  return input.nodes.map((node) => ({
    node: node.name,
    ineligible: whyNotEligible({ ...input.ip, node, speakerAlive: input.aliveSpeakers.has(node.name) }),
  }));
}

/** Names of the nodes that may announce the IP: the input of electAnnouncer. */
export function eligibleNodes(input: NodesForIp): string[] {
  return explainNodes(input)
    .filter((v) => v.ineligible === null)
    .map((v) => v.node);
}
