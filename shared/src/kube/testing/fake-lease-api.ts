/* eslint-disable @typescript-eslint/require-await -- fakes keep the async signatures of the APIs they stand in for. */
import { KubeApiError } from '../api-error.js';
import type { LeaseApi } from '../leader-election.js';
import type { Lease } from '../wire.js';

/**
 * An in-memory Lease store with API-server semantics: resourceVersion checked on PUT (409),
 * 404 on missing, 409 on duplicate create. Objects round-trip through JSON exactly like the
 * real client (plain JSON, MicroTime as text). Per-client `partitioned` makes calls fail.
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
      throw new KubeApiError(503, '{"message":"partitioned"}', 'fake lease API');
    };
    return {
      state,
      readNamespacedLease: async () => {
        if (state.partitioned) fail();
        if (this.#json === undefined) throw new KubeApiError(404, '{}', 'fake lease API');
        return this.#decode(this.#json);
      },
      createNamespacedLease: async ({ body }) => {
        if (state.partitioned) fail();
        if (this.#json !== undefined) throw new KubeApiError(409, '{}', 'fake lease API');
        return this.#write(id, body);
      },
      replaceNamespacedLease: async ({ body }) => {
        if (state.partitioned) fail();
        const stored = this.#json === undefined ? undefined : this.#decode(this.#json);
        if (stored?.metadata?.resourceVersion !== body.metadata?.resourceVersion) {
          throw new KubeApiError(409, '{"message":"the object has been modified"}', 'fake lease API');
        }
        return this.#write(id, body);
      },
    };
  }

  current(): Lease | undefined {
    return this.#json === undefined ? undefined : this.#decode(this.#json);
  }

  #write(by: string, body: Lease): Lease {
    this.#rv += 1;
    const wire = JSON.stringify(body);
    const obj = JSON.parse(wire) as { metadata?: Record<string, unknown> };
    obj.metadata = { ...obj.metadata, resourceVersion: String(this.#rv) };
    this.#json = JSON.stringify(obj);
    this.writes.push({ by, holder: body.spec?.holderIdentity ?? '', wire });
    return this.#decode(this.#json);
  }

  #decode(json: string): Lease {
    return JSON.parse(json) as Lease;
  }
}
