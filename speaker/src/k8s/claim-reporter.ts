import type { EventRecorder } from '@ironlb/shared/kube';
import type { Counter } from 'prom-client';
import type { Logger } from 'pino';
import type { IpDecision, SkipReason } from '../election/claims.js';
import type { ServiceRef } from '../planner/index.js';

export interface ClaimReporterOptions {
  self: string;
  recorder: Pick<EventRecorder, 'emit'>;
  /** ironlb_speaker_peer_unclaimed_total{peer}. */
  unclaimed: Counter<'peer'>;
  logger: Logger;
}

/**
 * Makes "a peer ranked before me did not announce an IP I know" visible: one Warning `PeerDidNotClaim`
 * event on the IP's Services, one warn log and one counter increment per episode.
 *
 * Invariant: an episode is an (IP, peer) pair that is skipped in consecutive decisions; it ends when the pair
 * is no longer skipped (the peer claimed, died, or the IP left the view), so a persisting skip reports once.
 */
export class ClaimReporter {
  private episodes = new Set<string>();

  constructor(private readonly options: ClaimReporterOptions) {}

  report(args: {
    decisions: readonly IpDecision[];
    servicesOf: (ip: string) => readonly ServiceRef[];
    /** False for a peer we must not blame yet (e.g. still warming up after joining). */
    blame: (peer: string) => boolean;
  }): void {
    const current = new Set<string>();
    for (const d of args.decisions) {
      for (const s of d.skipped) {
        if (!args.blame(s.node)) continue;
        const key = `${d.ip}\u0000${s.node}`;
        current.add(key);
        if (this.episodes.has(key)) continue;
        this.skipped({ ip: d.ip, peer: s.node, reason: s.reason, services: args.servicesOf(d.ip) });
      }
    }
    this.episodes = current;
  }

  private skipped(args: {
    ip: string;
    peer: string;
    reason: SkipReason;
    services: readonly ServiceRef[];
  }): void {
    const { ip, peer, reason } = args;
    const why =
      reason === 'stale-view'
        ? `its view of the API server is stale and it does not announce ${ip}`
        : `it did not announce ${ip} within the claim grace`;
    const note = `node ${peer} ranks first for ${ip} but ${why}; node ${this.options.self} passed over it`;
    this.options.logger.warn({ ip, peer, reason }, 'peer did not claim an IP; passing over it');
    this.options.unclaimed.inc({ peer });
    for (const s of args.services)
      this.options.recorder.emit({
        regarding: { apiVersion: 'v1', kind: 'Service', namespace: s.namespace, name: s.name, uid: s.uid },
        type: 'Warning',
        reason: 'PeerDidNotClaim',
        note,
        action: 'Announce',
      });
  }
}
