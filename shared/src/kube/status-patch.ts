import {
  type CoreV1Api,
  type CustomObjectsApi,
  PatchStrategy,
  setHeaderOptions,
  type V1Service,
  type V1ServiceStatus,
} from '@kubernetes/client-node';
import type { Result } from '../types/result.js';
import { attemptWrite, type WriteFailure } from './write-failure.js';

/**
 * Per-call options making the client send `Content-Type: application/merge-patch+json`
 * (the library defaults PATCH to json-patch). Pass as the 2nd argument of any patch call.
 */
export const mergePatchOptions = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

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
  core: Pick<CoreV1Api, 'patchNamespacedServiceStatus'>,
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
  custom: Pick<CustomObjectsApi, 'patchNamespacedCustomObjectStatus' | 'patchClusterCustomObjectStatus'>,
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
