import { API_GROUP_VERSION, BGP_PEER_KIND, type BgpPeerConfig } from '@ironlb/shared';
import type { EventRecorder } from '@ironlb/shared/kube';
import type { Logger } from 'pino';
import type { PasswordProblem } from '../bgp/index.js';

/** Reason of the Warning event on a BGPPeer whose password cannot be read. */
export const PASSWORD_EVENT_REASON = 'BGPPasswordUnavailable';

/**
 * Tells people which of this node's sessions are left out because their password Secret cannot be used: a
 * warning log line and a Warning event on the BGPPeer when a peer's problem appears or changes, an info line
 * when it is solved.
 *
 * Invariants: one event per change of the problem (not one per plan); the text names the Secret and key,
 * never a password.
 */
export class PasswordReport {
  private reported = new Map<string, string>();

  constructor(
    private readonly options: {
      nodeName: string;
      recorder: Pick<EventRecorder, 'emit'>;
      logger: Pick<Logger, 'warn' | 'info'>;
    },
  ) {}

  /** The problems of this node's sessions now (peer name → peer and problem); others are solved. */
  update(problems: ReadonlyMap<string, { peer: BgpPeerConfig; problem: PasswordProblem }>): void {
    const { nodeName, recorder, logger } = this.options;
    const now = new Map<string, string>();
    for (const [name, { peer, problem }] of problems) {
      now.set(name, problem.message);
      if (this.reported.get(name) === problem.message) continue;
      const note = `node ${nodeName}: the session with ${peer.name} is not configured: ${problem.message}`;
      logger.warn({ peer: name, reason: problem.reason }, note);
      recorder.emit({
        regarding: { apiVersion: API_GROUP_VERSION, kind: BGP_PEER_KIND, name: peer.name, uid: peer.uid },
        type: 'Warning',
        reason: PASSWORD_EVENT_REASON,
        note: `${problem.reason}: ${note}`,
      });
    }
    for (const name of this.reported.keys())
      if (!now.has(name))
        logger.info({ peer: name }, 'BGPPeer password available: the session is configured');
    this.reported = now;
  }
}
