import type {
  V1EndpointSliceList,
  V1NamespaceList,
  V1Node,
  V1NodeList,
  V1Secret,
  V1SecretList,
  V1Service,
  V1ServiceList,
} from '@kubernetes/client-node';
import type { KubeConnection } from './kube-connection.js';
import type { KubeEvent, Lease } from './wire.js';

/**
 * The API calls ironlb makes, with the method names and parameter objects of `@kubernetes/client-node`
 * (so call sites read the same), over our own KubeConnection. Results are plain JSON (see `wire.ts`);
 * a non-2xx answer rejects with KubeApiError (status + body).
 */

/** The patch body's type. Without PatchOptions a patch is a JSON patch, as in client-node. */
export type PatchContentType =
  'application/json-patch+json' | 'application/merge-patch+json' | 'application/apply-patch+yaml';

export interface PatchOptions {
  readonly contentType: PatchContentType;
  /** Required by the API server for server-side apply. */
  readonly fieldManager?: string;
  readonly force?: boolean;
}

/** Send a patch as a JSON merge patch (RFC 7386): pass as the 2nd argument of any patch call. */
export const mergePatchOptions: PatchOptions = { contentType: 'application/merge-patch+json' };

export interface ListOptions {
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
  readonly limit?: number;
  readonly _continue?: string;
  readonly resourceVersion?: string;
}

interface Named {
  readonly name: string;
}
interface InNamespace {
  readonly namespace: string;
}
interface WithBody<B> {
  readonly body: B;
}
interface CustomResource {
  readonly group: string;
  readonly version: string;
  readonly plural: string;
}

export interface CoreV1Client {
  listServiceForAllNamespaces(p?: ListOptions): Promise<V1ServiceList>;
  listNamespace(p?: ListOptions): Promise<V1NamespaceList>;
  listNode(p?: ListOptions): Promise<V1NodeList>;
  patchNamespacedService(p: Named & InNamespace & WithBody<object>, o?: PatchOptions): Promise<V1Service>;
  patchNamespacedServiceStatus(
    p: Named & InNamespace & WithBody<object>,
    o?: PatchOptions,
  ): Promise<V1Service>;
  patchNode(p: Named & WithBody<object>, o?: PatchOptions): Promise<V1Node>;
  createNamespacedSecret(p: InNamespace & WithBody<V1Secret>): Promise<V1Secret>;
  listNamespacedSecret(p: InNamespace & ListOptions): Promise<V1SecretList>;
}

export interface DiscoveryV1Client {
  listEndpointSliceForAllNamespaces(p?: ListOptions): Promise<V1EndpointSliceList>;
}

export interface CustomObjectsClient {
  listClusterCustomObject(p: CustomResource & ListOptions): Promise<unknown>;
  patchClusterCustomObjectStatus(
    p: CustomResource & Named & WithBody<object>,
    o?: PatchOptions,
  ): Promise<unknown>;
  patchNamespacedCustomObjectStatus(
    p: CustomResource & Named & InNamespace & WithBody<object>,
    o?: PatchOptions,
  ): Promise<unknown>;
}

export interface CoordinationV1Client {
  readNamespacedLease(p: Named & InNamespace): Promise<Lease>;
  createNamespacedLease(p: InNamespace & WithBody<Lease>): Promise<Lease>;
  replaceNamespacedLease(p: Named & InNamespace & WithBody<Lease>): Promise<Lease>;
}

export interface EventsV1Client {
  createNamespacedEvent(p: InNamespace & WithBody<KubeEvent>): Promise<KubeEvent>;
  patchNamespacedEvent(p: Named & InNamespace & WithBody<object>, o?: PatchOptions): Promise<KubeEvent>;
}

const seg = encodeURIComponent;

function list<T>(kube: KubeConnection, path: string, p: ListOptions | undefined): Promise<T> {
  const { labelSelector, fieldSelector, limit, _continue, resourceVersion } = p ?? {};
  const query = { labelSelector, fieldSelector, limit, continue: _continue, resourceVersion };
  return kube.request<T>({ method: 'GET', path, query });
}

function patch<T>(
  kube: KubeConnection,
  path: string,
  p: { body: object; options: PatchOptions | undefined },
): Promise<T> {
  const o = p.options ?? { contentType: 'application/json-patch+json' };
  const query = { fieldManager: o.fieldManager, force: o.force };
  return kube.request<T>({ method: 'PATCH', path, query, body: p.body, contentType: o.contentType });
}

export function coreV1Client(kube: KubeConnection): CoreV1Client {
  const service = (p: Named & InNamespace): string =>
    `/api/v1/namespaces/${seg(p.namespace)}/services/${seg(p.name)}`;
  return {
    listServiceForAllNamespaces: (p) => list(kube, '/api/v1/services', p),
    listNamespace: (p) => list(kube, '/api/v1/namespaces', p),
    listNode: (p) => list(kube, '/api/v1/nodes', p),
    patchNamespacedService: (p, options) => patch(kube, service(p), { body: p.body, options }),
    patchNamespacedServiceStatus: (p, options) =>
      patch(kube, `${service(p)}/status`, { body: p.body, options }),
    patchNode: (p, options) => patch(kube, `/api/v1/nodes/${seg(p.name)}`, { body: p.body, options }),
    createNamespacedSecret: (p) =>
      kube.request({ method: 'POST', path: `/api/v1/namespaces/${seg(p.namespace)}/secrets`, body: p.body }),
    listNamespacedSecret: (p) => list(kube, `/api/v1/namespaces/${seg(p.namespace)}/secrets`, p),
  };
}

export function discoveryV1Client(kube: KubeConnection): DiscoveryV1Client {
  return {
    listEndpointSliceForAllNamespaces: (p) => list(kube, '/apis/discovery.k8s.io/v1/endpointslices', p),
  };
}

export function customObjectsClient(kube: KubeConnection): CustomObjectsClient {
  const base = (p: CustomResource): string => `/apis/${seg(p.group)}/${seg(p.version)}`;
  return {
    listClusterCustomObject: (p) => list(kube, `${base(p)}/${seg(p.plural)}`, p),
    patchClusterCustomObjectStatus: (p, options) =>
      patch(kube, `${base(p)}/${seg(p.plural)}/${seg(p.name)}/status`, { body: p.body, options }),
    patchNamespacedCustomObjectStatus: (p, options) =>
      patch(kube, `${base(p)}/namespaces/${seg(p.namespace)}/${seg(p.plural)}/${seg(p.name)}/status`, {
        body: p.body,
        options,
      }),
  };
}

export function coordinationV1Client(kube: KubeConnection): CoordinationV1Client {
  const leases = (ns: string): string => `/apis/coordination.k8s.io/v1/namespaces/${seg(ns)}/leases`;
  return {
    readNamespacedLease: (p) =>
      kube.request({ method: 'GET', path: `${leases(p.namespace)}/${seg(p.name)}` }),
    createNamespacedLease: (p) => kube.request({ method: 'POST', path: leases(p.namespace), body: p.body }),
    replaceNamespacedLease: (p) =>
      kube.request({ method: 'PUT', path: `${leases(p.namespace)}/${seg(p.name)}`, body: p.body }),
  };
}

export function eventsV1Client(kube: KubeConnection): EventsV1Client {
  const events = (ns: string): string => `/apis/events.k8s.io/v1/namespaces/${seg(ns)}/events`;
  return {
    createNamespacedEvent: (p) => kube.request({ method: 'POST', path: events(p.namespace), body: p.body }),
    patchNamespacedEvent: (p, options) =>
      patch(kube, `${events(p.namespace)}/${seg(p.name)}`, { body: p.body, options }),
  };
}
