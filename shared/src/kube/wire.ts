import type { EventsV1Event, V1Lease } from '@kubernetes/client-node';

/**
 * An API object as JSON: every `Date` of the model type (metadata.creationTimestamp, MicroTime fields,
 * conditions' lastTransitionTime, ...) is the RFC 3339 text the API server sent.
 *
 * The client returns plain JSON. Kinds whose model types are used across ironlb (Service, Node, Namespace,
 * EndpointSlice, Secret) keep their `@kubernetes/client-node` model types, which say `Date`: read such a
 * field only through `timestampMs`. Kinds owned by this toolkit (Lease, Event) use these honest types.
 */
export type Wire<T> = T extends Date
  ? string
  : T extends readonly (infer U)[]
    ? Wire<U>[]
    : T extends object
      ? { [K in keyof T]: Wire<T[K]> }
      : T;

export type Lease = Wire<V1Lease>;
export type LeaseSpec = NonNullable<Lease['spec']>;
export type KubeEvent = Wire<EventsV1Event>;

/** A MicroTime as the API server writes it: RFC 3339 UTC with 6 fractional digits. */
export function microTime(at: Date | number = Date.now()): string {
  const iso = new Date(at).toISOString(); // …T12:34:56.789Z
  return `${iso.slice(0, -1)}000Z`;
}

/**
 * Milliseconds since the epoch of a timestamp field: the RFC 3339 text the client returns, or a `Date`
 * (objects built in tests, or typed by model classes); undefined when absent or not a time.
 */
export function timestampMs(value: Date | string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = value instanceof Date ? value.getTime() : Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}
