/** Helpers for e2e suites running against the lab (see test/lab/README.md). */
export { waitFor } from './wait.js';
export type { WaitOptions } from './wait.js';
export { createTestNamespace, isNotFound, kubeClients, labKubeconfigPath } from './kube.js';
export type { KubeClients, TestNamespace } from './kube.js';
export { createReadyPod } from './pods.js';
export type { ReadyPodOptions } from './pods.js';
export {
  flushNeighbour,
  neighbour,
  netnsExec,
  pinAddress,
  setStaticNeighbour,
  startInNetns,
} from './netns.js';
export type { NeighbourEntry, NetnsProcess, PinnedAddress } from './netns.js';
export { httpGetFromClient } from './http.js';
export type { HttpGetResult } from './http.js';
export {
  labNode,
  labNodes,
  nodeReadyStatus,
  notReadyBoundsMs,
  readyStatus,
  startKubelet,
  stopKubelet,
} from './nodes.js';
