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
export {
  apply,
  createAnnouncedService,
  createLbService,
  deleteObjects,
  installCrds,
  kubectl,
  serviceEvents,
  setIngress,
  waitForEvent,
} from './ironlb.js';
export type { LbServiceOptions } from './ironlb.js';
export { L2Capture } from './l2-capture.js';
export { runCleanup } from './cleanup.js';
export { E2E_SPEAKER_PORTS, SpeakerSet, TEST_MEMBERSHIP_SECRET } from './speakers.js';
export { failures, percentile, recoveredAfter, startClientProbe } from './client-probe.js';
export { speakerMetric, speakerMetrics } from './metrics.js';
export type { ClientProbe, ProbeSample } from './client-probe.js';
