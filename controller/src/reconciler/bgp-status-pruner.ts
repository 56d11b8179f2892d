import type { KubernetesObject, V1Node } from '@kubernetes/client-node';
import {
  API_GROUP,
  API_VERSION,
  BGP_PEER_PLURAL,
  BGP_SESSION_STATES,
  type BgpSessionStatus,
} from '@ironlb/shared';
import { customInformer, Informer, type KubeClients, patchCustomStatus } from '@ironlb/shared/kube';
import type { Logger } from '@ironlb/shared/log';
import { goneNodes, type PeerSessions, type SessionPrune, sessionPrunes } from './stale-sessions.js';

/** A started cache of objects (an Informer, or a fake in tests). */
export interface ObjectSource<T> {
  start(signal?: AbortSignal): Promise<void>;
  stop(): Promise<void>;
  hasSynced(): boolean;
  list(): T[];
}

export interface BgpStatusPrunerOptions {
  clients: Pick<KubeClients, 'kubeConfig' | 'core' | 'custom'>;
  logger: Pick<Logger, 'info' | 'warn' | 'debug'>;
  /** A node must be missing this long before its entries go (default 30 s). */
  graceMs?: number;
  /** Default: informers on Nodes (names only) and BGPPeers; tests pass fakes. */
  sources?: { nodes: ObjectSource<{ name: string }>; peers: ObjectSource<KubernetesObject> } | undefined;
  /** Default: `patchCustomStatus` on `clients.custom`. */
  write?: typeof patchCustomStatus | undefined;
  now?: () => number;
}

/** Delay between a cache event and the pass it triggers (events come in bursts). */
const DEBOUNCE_MS = 500;
/** Retry after a failed write, or while the caches sync. */
const RETRY_MS = 2_000;

/**
 * Removes from every BGPPeer's `status.sessions` the entries of nodes that no longer exist (a deleted Node's
 * speaker never removes its own), and rewrites `summary` to match. Runs on the leader only (one per Session term).
 *
 * Each write is a JSON merge patch of the status subresource with the peer's resourceVersion: the list is replaced
 * by the remaining entries as read (a speaker's write in between makes it fail with 409, retried with the newer
 * version). A non-apply write drops the removed fields from every field manager, so the dead node's manager
 * (`ironlb-speaker-<node>`) leaves managedFields with its entry.
 *
 * Invariants: nothing is written before both caches have synced; an entry goes only when its node has been missing
 * from the Node cache for `graceMs`; passes never overlap; after `stop` nothing is written.
 */
export class BgpStatusPruner {
  private readonly sources: { nodes: ObjectSource<{ name: string }>; peers: ObjectSource<KubernetesObject> };
  private missingSince = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private started = false;
  private stopped = false;

  constructor(private readonly options: BgpStatusPrunerOptions) {
    const schedule = (): void => {
      this.schedule(DEBOUNCE_MS);
    };
    this.sources = options.sources ?? defaultSources(options, schedule);
  }

  async start(signal: AbortSignal): Promise<void> {
    this.started = true;
    signal.addEventListener('abort', () => void this.stop(), { once: true });
    await Promise.all([this.sources.nodes.start(signal), this.sources.peers.start(signal)]);
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
    await Promise.all([this.sources.nodes.stop(), this.sources.peers.stop()]);
  }

  /** One pass now (tests; the timer calls it). Resolves to the number of entries removed. */
  async pass(): Promise<number> {
    while (this.running) await this.running;
    let removed = 0;
    const run = this.prune().then((n) => {
      removed = n;
    });
    this.running = run;
    try {
      await run;
    } finally {
      this.running = undefined;
    }
    return removed;
  }

  private schedule(ms: number): void {
    if (!this.started || this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.pass();
    }, ms);
    this.timer.unref();
  }

  private async prune(): Promise<number> {
    const { nodes, peers } = this.sources;
    if (this.stopped) return 0;
    if (!nodes.hasSynced() || !peers.hasSynced()) {
      this.schedule(RETRY_MS);
      return 0;
    }
    const now = (this.options.now ?? Date.now)();
    const statuses = peers.list().flatMap(peerSessions);
    const gone = goneNodes({
      named: statuses.flatMap((p) => p.sessions.map((s) => s.node)),
      existing: new Set(nodes.list().map((n) => n.name)),
      missingSince: this.missingSince,
      now,
      graceMs: this.options.graceMs ?? 30_000,
    });
    this.missingSince = gone.missingSince;
    const r = await this.writeAll(sessionPrunes({ peers: statuses, gone: gone.gone }));
    if (r.retry) this.schedule(RETRY_MS);
    else if (gone.nextCheckMs !== undefined) this.schedule(Math.max(0, gone.nextCheckMs - now));
    return r.removed;
  }

  /** The writes, one after the other; `retry`: one failed (not for a peer that is gone). */
  private async writeAll(prunes: SessionPrune[]): Promise<{ removed: number; retry: boolean }> {
    const { logger } = this.options;
    let removed = 0;
    let retry = false;
    const write = this.options.write ?? patchCustomStatus;
    for (const p of prunes) {
      if (this.stopped) break;
      const r = await write(this.options.clients.custom, {
        group: API_GROUP,
        version: API_VERSION,
        plural: BGP_PEER_PLURAL,
        name: p.peer,
        status: { sessions: p.sessions.length === 0 ? null : p.sessions, summary: p.summary },
        ...(p.resourceVersion === '' ? {} : { resourceVersion: p.resourceVersion }),
      });
      if (r.ok) {
        removed += p.removed.length;
        logger.info(
          { peer: p.peer, nodes: p.removed, summary: p.summary },
          'BGPPeer status: removed the session entries of deleted nodes',
        );
      } else if (r.error.kind !== 'not-found') {
        retry = true;
        const fields = { peer: p.peer, code: r.error.code, error: r.error.message };
        if (r.error.kind === 'conflict')
          logger.debug(fields, 'BGPPeer status changed meanwhile; pruning again');
        else logger.warn(fields, 'cannot prune BGPPeer status; retrying');
      }
    }
    return { removed, retry };
  }
}

function defaultSources(
  o: BgpStatusPrunerOptions,
  onEvent: () => void,
): { nodes: ObjectSource<{ name: string }>; peers: ObjectSource<KubernetesObject> } {
  const { clients, logger } = o;
  return {
    nodes: new Informer<V1Node, { name: string }>({
      kubeConfig: clients.kubeConfig,
      path: '/api/v1/nodes',
      list: () => clients.core.listNode(),
      typeName: 'V1Node',
      transform: (n) => ({ name: n.metadata?.name ?? '' }),
      onEvent,
      logger,
    }),
    peers: customInformer<KubernetesObject>({
      clients,
      plural: BGP_PEER_PLURAL,
      onEvent,
      logger,
    }),
  };
}

/** A BGPPeer's name, resourceVersion and session entries (entries that are not `{node, state}` are skipped). */
export function peerSessions(o: KubernetesObject): PeerSessions[] {
  const name = o.metadata?.name;
  if (name === undefined) return [];
  const status = (o as { status?: { sessions?: unknown; summary?: unknown } }).status;
  const raw = Array.isArray(status?.sessions) ? (status.sessions as unknown[]) : [];
  const sessions = raw.flatMap((e): BgpSessionStatus[] => {
    if (typeof e !== 'object' || e === null) return [];
    const { node, state, lastChange } = e as Record<string, unknown>;
    const known = BGP_SESSION_STATES.find((s) => s === state);
    if (typeof node !== 'string' || known === undefined) return [];
    return [{ node, state: known, ...(typeof lastChange === 'string' ? { lastChange } : {}) }];
  });
  const summary = typeof status?.summary === 'string' ? status.summary : undefined;
  return [{ name, resourceVersion: o.metadata?.resourceVersion ?? '', sessions, summary }];
}
