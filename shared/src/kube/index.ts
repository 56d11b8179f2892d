/** Kubernetes I/O toolkit shared by the controller and the speaker (`@ironlb/shared/kube`). */
export {
  coordinationV1Client,
  coreV1Client,
  customObjectsClient,
  discoveryV1Client,
  eventsV1Client,
  mergePatchOptions,
  type CoordinationV1Client,
  type CoreV1Client,
  type CustomObjectsClient,
  type DiscoveryV1Client,
  type EventsV1Client,
  type ListOptions,
  type PatchContentType,
  type PatchOptions,
} from './api-clients.js';
export { apiStatusCode, describeApiError, KubeApiError } from './api-error.js';
export { backoffDelay, type BackoffOptions } from './backoff.js';
export { createKubeClients, type KubeClientOptions, type KubeClients } from './client-factory.js';
export { customInformer, type CustomInformerOptions } from './custom-informer.js';
export {
  EventRecorder,
  type EventInput,
  type EventRecorderOptions,
  type EventsApi,
} from './event-recorder.js';
export { Informer, type InformerEvent, type InformerOptions } from './informer.js';
export { LeaderElector, type LeaderElectionOptions, type LeaseApi } from './leader-election.js';
export {
  loadKubeAccess,
  type KubeAccess,
  type KubeAuth,
  type KubeConfigSource,
  type KubeTls,
} from './kube-config.js';
export {
  KubeConnection,
  type ApiRequest,
  type KubeConnectionOptions,
  type Query,
} from './kube-connection.js';
export { limit, type Limiter } from './limit.js';
export { objectKey, splitKey } from './object-key.js';
export { readyzProbe } from './readyz-probe.js';
export { sleep, withDeadline } from './sleep.js';
export {
  patchCustomStatus,
  patchServiceStatus,
  type CustomStatusPatch,
  type ServiceStatusPatch,
} from './status-patch.js';
export { WorkQueue, type ProcessOutcome, type WorkQueueOptions } from './work-queue.js';
export { attemptWrite, writeFailure, type WriteFailure } from './write-failure.js';
export { microTime, timestampMs, type KubeEvent, type Lease, type LeaseSpec, type Wire } from './wire.js';
