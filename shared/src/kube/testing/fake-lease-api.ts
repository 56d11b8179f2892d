/* eslint-disable @typescript-eslint/require-await -- fakes keep the async signatures of the APIs they stand in for. */
import { ApiException, type V1Lease } from '@kubernetes/client-node';
import { ObjectSerializer } from '@kubernetes/client-node/dist/serializer.js';
import type { LeaseApi } from '../leader-election.js';

/**
 * An in-memory Lease store with API-server semantics: resourceVersion checked on PUT (409),
 * 404 on missing, 409 on duplicate create. Objects round-trip through JSON exactly like the
 * real client (MicroTime comes back as a string). Per-client `partitioned` makes calls fail.
 */
export class FakeLeaseStore {
  #json: string | undefined;
  #rv = 0;
  readonly writes: { by: string; holder: string; wire: string }[] = [];

  client(
    id: string,
    state: { partitioned: boolean } = { partitioned: false },
  ): LeaseApi & { state: { partitioned: boolean } } {
    const fail = (): never => {
      throw new ApiException(503, 'unavailable', '{"message":"partitioned"}', {});
    };
    return {
      state,
      readNamespacedLease: async () => {
        if (state.partitioned) fail();
        if (this.#json === undefined) throw new ApiException(404, 'not found', '{}', {});
        return this.#decode(this.#json);
      },
      createNamespacedLease: async ({ body }) => {
        if (state.partitioned) fail();
        if (this.#json !== undefined) throw new ApiException(409, 'exists', '{}', {});
        return this.#write(id, body);
      },
      replaceNamespacedLease: async ({ body }) => {
        if (state.partitioned) fail();
        const stored = this.#json === undefined ? undefined : this.#decode(this.#json);
        if (stored?.metadata?.resourceVersion !== body.metadata?.resourceVersion) {
          throw new ApiException(409, 'conflict', '{"message":"the object has been modified"}', {});
        }
        return this.#write(id, body);
      },
    };
  }

  current(): V1Lease | undefined {
    return this.#json === undefined ? undefined : this.#decode(this.#json);
  }

  #write(by: string, body: V1Lease): V1Lease {
    this.#rv += 1;
    const wire = JSON.stringify(ObjectSerializer.serialize(body, 'V1Lease'));
    const obj = JSON.parse(wire) as { metadata?: Record<string, unknown> };
    obj.metadata = { ...obj.metadata, resourceVersion: String(this.#rv) };
    this.#json = JSON.stringify(obj);
    this.writes.push({ by, holder: body.spec?.holderIdentity ?? '', wire });
    return this.#decode(this.#json);
  }

  #decode(json: string): V1Lease {
    return ObjectSerializer.deserialize(JSON.parse(json), 'V1Lease') as V1Lease;
  }
}
