import { API_GROUP_VERSION, BGP_PEER_KIND, type BgpPeerConfig, type BgpSessionState } from '@ironlb/shared';
import type { EventRecorder } from '@ironlb/shared/kube';
import type { Logger } from 'pino';
import {
  type NeighborDetail,
  parseNeighborDetail,
  SESSION_EVENT_REASONS,
  sessionEventNote,
  sessionEvents,
  type SessionEvent,
  type SessionTrack,
} from '../bgp/index.js';
import type { CommandRunner } from './command-runner.js';
import { type FrrTarget, vtyshArgv } from './frr-applier.js';

/** Default time a wanted session may take to reach Established before a `BGPSessionNotEstablished` Warning. */
export const DEFAULT_NOT_ESTABLISHED_AFTER_MS = 60_000;

export interface SessionEventReporterOptions {
  nodeName: string;
  target: FrrTarget;
  run: CommandRunner;
  recorder: Pick<EventRecorder, 'emit'>;
  logger: Pick<Logger, 'info' | 'warn' | 'debug'>;
  /** Grace time before `BGPSessionNotEstablished` (default `DEFAULT_NOT_ESTABLISHED_AFTER_MS`). */
  notEstablishedAfterMs?: number | undefined;
  now?: () => number;
}

/**
 * Turns each session poll into Kubernetes Events on the BGPPeer (cluster-scoped, so the recorder puts them in
 * `default`): `BGPSessionNotEstablished` (Warning), `BGPSessionDown` (Warning), `BGPSessionEstablished` (Normal),
 * one per episode as `sessionEvents` decides. A Warning carries FRR's last reset and notification from
 * `show bgp neighbors <address> json` when FRR answers.
 *
 * Invariants: updates are handled one at a time in order (each waits for the previous one's FRR query); an event
 * for an address no BGPPeer has any more is logged, not emitted.
 */
export class SessionEventReporter {
  private tracks: ReadonlyMap<string, SessionTrack> = new Map();
  private chain: Promise<void> = Promise.resolve();

  constructor(private readonly options: SessionEventReporterOptions) {}

  /** One poll's states; `wanted`: addresses of the sessions in the current plan; `peers`: address → BGPPeer. */
  update(args: {
    states: ReadonlyMap<string, BgpSessionState>;
    wanted: ReadonlySet<string>;
    peers: ReadonlyMap<string, BgpPeerConfig>;
  }): Promise<void> {
    const now = (this.options.now ?? Date.now)();
    const r = sessionEvents({
      tracks: this.tracks,
      states: args.states,
      wanted: args.wanted,
      now,
      graceMs: this.options.notEstablishedAfterMs ?? DEFAULT_NOT_ESTABLISHED_AFTER_MS,
    });
    this.tracks = r.tracks;
    if (r.events.length === 0) return this.chain;
    const peers = new Map(args.peers);
    this.chain = this.chain.then(() => this.emitAll(r.events, peers));
    return this.chain;
  }

  private async emitAll(events: SessionEvent[], peers: ReadonlyMap<string, BgpPeerConfig>): Promise<void> {
    const { nodeName: node, logger, recorder } = this.options;
    for (const event of events) {
      const peer = peers.get(event.address);
      const detail = event.kind === 'established' ? undefined : await this.detail(event.address);
      const note = sessionEventNote({ node, event, detail });
      const fields = { peer: peer?.name, address: event.address, state: event.state ?? 'gone', detail };
      if (event.kind === 'established') logger.info(fields, 'BGP session Established again');
      else logger.warn(fields, event.kind === 'down' ? 'BGP session down' : 'BGP session not Established');
      if (!peer) continue;
      recorder.emit({
        regarding: { apiVersion: API_GROUP_VERSION, kind: BGP_PEER_KIND, name: peer.name, uid: peer.uid },
        type: event.kind === 'established' ? 'Normal' : 'Warning',
        reason: SESSION_EVENT_REASONS[event.kind],
        note,
      });
    }
  }

  /** FRR's view of one neighbor; undefined when FRR does not answer (the event goes out without it). */
  private async detail(address: string): Promise<NeighborDetail | undefined> {
    const argv = [...vtyshArgv(this.options.target), '-c', `show bgp neighbors ${address} json`];
    const r = await this.options.run(argv, { timeoutMs: 5000 });
    if (r.code !== 0) {
      this.options.logger.debug({ address, stderr: r.stderr.slice(0, 300) }, 'no neighbor detail from FRR');
      return undefined;
    }
    return parseNeighborDetail(r.stdout);
  }
}
