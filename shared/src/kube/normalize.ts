import type { KubernetesObject } from '@kubernetes/client-node';
import { ObjectSerializer } from '@kubernetes/client-node/dist/serializer.js';

/**
 * ONE representation for every object the rest of ironlb sees: the deserialized model, exactly
 * what a typed LIST/GET returns (`metadata.creationTimestamp` etc. are `Date`).
 *
 * Watch events carry raw JSON (plain objects, string timestamps); LIST items are model class
 * instances. A plain object is run through the library's ObjectSerializer with `typeName`
 * (e.g. 'V1Service'); model instances pass unchanged, so normalising twice is harmless.
 * Without `typeName` (custom resources: LIST and watch are both raw JSON) objects pass unchanged.
 *
 * Caveat kept by the library: MicroTime fields (Lease renewTime, Event eventTime) deserialize as
 * strings in BOTH representations.
 */
export function normalizeObject<T extends KubernetesObject>(obj: T, typeName: string | undefined): T {
  if (typeName === undefined) return obj;
  if (Object.getPrototypeOf(obj) !== Object.prototype) return obj;
  return ObjectSerializer.deserialize(obj, typeName) as T;
}
