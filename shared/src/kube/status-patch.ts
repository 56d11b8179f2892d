import type { V1Service, V1ServiceStatus } from '@kubernetes/client-node';
import type { Result } from '../types/result.js';
import { type CoreV1Client, type CustomObjectsClient, mergePatchOptions } from './api-clients.js';
import { attemptWrite, type WriteFailure } from './write-failure.js';

/** The merge-patch body; with `resourceVersion` the write fails with 409 if the object changed. */
function statusBody(status: unknown, resourceVersion: string | undefined): object {
  return resourceVersion === undefined ? { status } : { metadata: { resourceVersion }, status };
}

export interface ServiceStatusPatch {
  readonly namespace: string;
  readonly name: string;
  /** Merged into .status; lists (e.g. loadBalancer.ingress) are replaced whole. */
  readonly status: V1ServiceStatus;
  /** Optimistic concurrency: only write if the Service is still at this version. */
  readonly resourceVersion?: string;
}

/** PATCH services/{name}/status with a JSON merge patch. 409/404 come back as values. */
export async function patchServiceStatus(
  core: Pick<CoreV1Client, 'patchNamespacedServiceStatus'>,
  patch: ServiceStatusPatch,
): Promise<Result<V1Service, WriteFailure>> {
  return attemptWrite(() =>
    core.patchNamespacedServiceStatus(
      {
        name: patch.name,
        namespace: patch.namespace,
        body: statusBody(patch.status, patch.resourceVersion),
      },
      mergePatchOptions,
    ),
  );
}

export interface CustomStatusPatch {
  readonly group: string;
  readonly version: string;
  readonly plural: string;
  /** Omit for cluster-scoped resources. */
  readonly namespace?: string;
  readonly name: string;
  readonly status: unknown;
  readonly resourceVersion?: string;
}

/** PATCH a custom resource's /status subresource with a JSON merge patch. */
export async function patchCustomStatus(
  custom: Pick<CustomObjectsClient, 'patchNamespacedCustomObjectStatus' | 'patchClusterCustomObjectStatus'>,
  patch: CustomStatusPatch,
): Promise<Result<unknown, WriteFailure>> {
  const { group, version, plural, name } = patch;
  const body = statusBody(patch.status, patch.resourceVersion);
  return attemptWrite(async (): Promise<unknown> =>
    patch.namespace === undefined
      ? custom.patchClusterCustomObjectStatus({ group, version, plural, name, body }, mergePatchOptions)
      : custom.patchNamespacedCustomObjectStatus(
          { group, version, plural, name, namespace: patch.namespace, body },
          mergePatchOptions,
        ),
  );
}
