import type { KubernetesListObject, KubernetesObject } from '@kubernetes/client-node';
import { API_GROUP, API_VERSION } from '../types/api.js';
import type { CustomObjectsClient } from './api-clients.js';
import { Informer, type InformerOptions } from './informer.js';

export interface CustomInformerOptions<T extends KubernetesObject, U = T> extends Omit<
  InformerOptions<T, U>,
  'kubeConfig' | 'path' | 'list' | 'typeName'
> {
  readonly clients: {
    readonly kubeConfig: InformerOptions<T, U>['kubeConfig'];
    readonly custom: Pick<CustomObjectsClient, 'listClusterCustomObject'>;
  };
  /** Plural of a cluster-scoped ironlb.io/v1alpha1 kind, e.g. IPPOOL_PLURAL. */
  readonly plural: string;
}

/**
 * The one list+watch cache for ironlb.io custom objects (IPPools, L2Announcements), used by the
 * controller and the speaker. Builds, does not start, an Informer whose LIST and watch use the same
 * group, version and plural; objects are plain JSON.
 */
export function customInformer<T extends KubernetesObject, U = T>(
  options: CustomInformerOptions<T, U>,
): Informer<T, U> {
  const { clients, plural, ...rest } = options;
  return new Informer<T, U>({
    ...rest,
    kubeConfig: clients.kubeConfig,
    path: `/apis/${API_GROUP}/${API_VERSION}/${plural}`,
    list: async () =>
      (await clients.custom.listClusterCustomObject({
        group: API_GROUP,
        version: API_VERSION,
        plural,
      })) as KubernetesListObject<T>,
  });
}
