import { apiStatusCode, KubeApiError } from './api-error.js';
import type { KubeConnection, Query } from './kube-connection.js';
import { WatchDecoder, type WatchEvent } from './watch-decoder.js';

/** What opens a watch: KubeConnection, or a stand-in in tests. */
export type WatchSource = Pick<KubeConnection, 'watch'>;

export interface ReadWatchOptions {
  readonly source: WatchSource;
  readonly path: string;
  /** resourceVersion, labelSelector, allowWatchBookmarks, ... (`watch=true` is added by the source). */
  readonly query: Query;
  readonly signal: AbortSignal;
  /** No byte for this long (headers included) ends the watch as 'idle': a half-open connection is noticed. */
  readonly idleMs: number;
  /** The API server accepted the watch (status 200). */
  readonly onOpen: () => void;
  /** Every ADDED / MODIFIED / DELETED / BOOKMARK event, in order. */
  readonly onEvent: (event: WatchEvent) => void;
}

/**
 * How a watch ended without error: 'ended' (the server closed it, e.g. its timeout), 'idle' (nothing
 * arrived for `idleMs`), 'gone' (410: the resourceVersion is too old, the caller must LIST again).
 */
export type WatchEnd = 'ended' | 'idle' | 'gone';

/**
 * Runs one watch request to its end. Invariants: events reach `onEvent` in stream order and only whole
 * lines; a 410 (as the HTTP status, or as an ERROR event) is the value 'gone', any other ERROR event
 * rejects with KubeApiError carrying its code; a corrupt line rejects with WatchDecodeError; aborting
 * `signal` rejects (the caller is stopping); the request is always ended when this settles.
 */
export async function readWatch(o: ReadWatchOptions): Promise<{ end: WatchEnd; events: number }> {
  const idle = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const touch = (): void => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      idle.abort();
    }, o.idleMs);
  };
  const signal = AbortSignal.any([o.signal, idle.signal]);
  let events = 0;
  touch();
  try {
    const stream = await o.source.watch({ path: o.path, query: o.query, signal });
    o.onOpen();
    const decoder = new WatchDecoder();
    const apply = (batch: WatchEvent[]): boolean => {
      for (const event of batch) {
        if (event.type === 'ERROR') {
          if (event.object.code === 410) return true;
          throw new KubeApiError(event.object.code ?? 500, JSON.stringify(event.object), `watch ${o.path}`);
        }
        events += 1;
        o.onEvent(event);
      }
      return false;
    };
    for await (const chunk of stream) {
      touch();
      if (apply(decoder.push(chunk))) return { end: 'gone', events };
    }
    if (apply(decoder.end())) return { end: 'gone', events };
    return { end: 'ended', events };
  } catch (error) {
    if (apiStatusCode(error) === 410) return { end: 'gone', events };
    if (idle.signal.aborted && !o.signal.aborted) return { end: 'idle', events };
    throw error;
  } finally {
    clearTimeout(timer);
    idle.abort(); // ends the request if it is still open (early return on 'gone')
  }
}
