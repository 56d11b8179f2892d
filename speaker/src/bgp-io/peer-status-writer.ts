import {
  API_GROUP,
  API_VERSION,
  BGP_PEER_PLURAL,
  type BgpSessionState,
  type BgpSessionStatus,
} from '@ironlb/shared';
import { attemptWrite, type CustomObjectsClient } from '@ironlb/shared/kube';
import type { Logger } from 'pino';
import { type ObservedPeerStatus, sessionEntry, statusApplyBody, statusUpToDate } from '../bgp/index.js';

export interface PeerStatusWriterOptions {
  nodeName: string;
  custom: Pick<CustomObjectsClient, 'patchClusterCustomObjectStatus'>;
  /** BGPPeer name → its status as the watch cache holds it. */
  observed: () => ReadonlyMap<string, ObservedPeerStatus>;
  logger: Pick<Logger, 'debug' | 'warn'>;
  /** Changes within this time go out together (default 1 s). */
  debounceMs?: number;
  now?: () => Date;
}

/** Field manager of one node's speaker: its entry in each BGPPeer's status belongs to it alone. */
export function fieldManagerFor(node: string): string {
  return `ironlb-speaker-${node}`.slice(0, 128);
}

/**
 * Writes this node's entry of `status.sessions` of each BGPPeer it peers with, and `status.summary`, with
 * server-side apply under a field manager of its own (`fieldManagerFor`): every node owns its entry of the map
 * list keyed by `node`, so N speakers write the same BGPPeer without overwriting each other. `summary` is shared:
 * each write computes it from the list as the watch cache shows it plus the own entry (forced apply: the last
 * writer owns it); a speaker that sees a summary not matching the list rewrites it, so it converges.
 *
 * Invariants: nothing is written while the API server already holds this node's state and a matching summary
 * (only changes are written); writes go out at most once per `debounceMs` and never overlap; a failed write is
 * retried on the next update; a peer that no longer selects this node gets its entry removed (an apply without it).
 */
export class PeerStatusWriter {
  /** Peer name → this node's current entry (lastChange kept while the state stays). */
  private readonly own = new Map<string, BgpSessionStatus>();
  private desired = new Map<string, BgpSessionState | undefined>();
  /**
   * Peer name → the body last applied and the observed status it was computed from: the same body is not applied
   * again until the watch cache shows a different status (it lags behind the write).
   */
  private readonly written = new Map<string, { body: string; observed: string }>();
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly options: PeerStatusWriterOptions) {}

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** The peers that select this node now, each with its session state in FRR (undefined: no such session). */
  update(desired: ReadonlyMap<string, BgpSessionState | undefined>): void {
    this.desired = new Map(desired);
    if (this.stopped || this.timer !== undefined || this.pending().length === 0) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, this.options.debounceMs ?? 1000);
    this.timer.unref();
  }

  /** Writes every pending change now (tests; the timer calls it). */
  async flush(): Promise<void> {
    while (this.writing) await this.writing;
    const run = this.writeAll();
    this.writing = run;
    try {
      await run;
    } finally {
      this.writing = undefined;
    }
  }

  /** Peers whose status in the API differs from what this node would write, with the body to apply. */
  private pending(): { peer: string; body: object; observed: string }[] {
    const { nodeName: node } = this.options;
    const observed = this.options.observed();
    const now = (this.options.now?.() ?? new Date()).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const out: { peer: string; body: object; observed: string }[] = [];
    for (const [peer, status] of observed) {
      const wanted = this.desired.has(peer);
      const previous = this.own.get(peer) ?? status.sessions.find((s) => s.node === node);
      const own = wanted ? sessionEntry({ node, state: this.desired.get(peer), previous, now }) : undefined;
      if (own) this.own.set(peer, own);
      else this.own.delete(peer);
      if (statusUpToDate({ node, own, observed: status })) continue;
      const body = statusApplyBody({ peer, node, own, observed: status });
      const seen = JSON.stringify(status);
      const last = this.written.get(peer);
      if (last?.body === JSON.stringify(body) && last.observed === seen) continue;
      out.push({ peer, body, observed: seen });
    }
    return out;
  }

  private async writeAll(): Promise<void> {
    const { custom, logger, nodeName } = this.options;
    for (const { peer, body, observed } of this.pending()) {
      const r = await attemptWrite(() =>
        custom.patchClusterCustomObjectStatus(
          { group: API_GROUP, version: API_VERSION, plural: BGP_PEER_PLURAL, name: peer, body },
          {
            contentType: 'application/apply-patch+yaml',
            fieldManager: fieldManagerFor(nodeName),
            force: true,
          },
        ),
      );
      if (r.ok) {
        this.written.set(peer, { body: JSON.stringify(body), observed });
        logger.debug({ peer, status: (body as { status: unknown }).status }, 'BGPPeer status written');
      } else if (r.error.kind !== 'not-found')
        logger.warn(
          { peer, error: r.error.message },
          'cannot write BGPPeer status; retrying on the next poll',
        );
    }
  }
}
