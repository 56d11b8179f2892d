/** Kubernetes I/O toolkit shared by the controller and the speaker (`@ironlb/shared/kube`). */
export { apiStatusCode, describeApiError } from './api-error.js';
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
export { microTime } from './lease-record.js';
export { limit, type Limiter } from './limit.js';
export { normalizeObject } from './normalize.js';
export { objectKey, splitKey } from './object-key.js';
export { PooledKubeConfig } from './pooled-kube-config.js';
export { readyzProbe } from './readyz-probe.js';
export { sleep, withDeadline } from './sleep.js';
export {
  mergePatchOptions,
  patchCustomStatus,
  patchServiceStatus,
  type CustomStatusPatch,
  type ServiceStatusPatch,
} from './status-patch.js';
export { WorkQueue, type ProcessOutcome, type WorkQueueOptions } from './work-queue.js';
export { attemptWrite, writeFailure, type WriteFailure } from './write-failure.js';
