import { LeaderElector } from '@ironlb/shared/kube';
import { BgpStatusPruner } from './bgp-status-pruner.js';
import { Session, type SessionOptions } from './session.js';

/** What a Session needs, plus how to campaign for the Lease. */
export interface ControllerConfig extends SessionOptions {
  /** undefined: no leader election, this process leads from the start (single replica). */
  readonly election:
    | {
        readonly namespace: string;
        readonly name: string;
        readonly leaseDurationSeconds: number;
        readonly renewDeadlineMs: number;
        readonly retryPeriodMs: number;
      }
    | undefined;
}

/**
 * The controller process: campaigns for the Lease and runs one Session per term of leadership.
 * Invariants: at most one Session runs at a time; a Session's signal aborts the moment leadership
 * is lost (LeaderElector) or the process stops, and nothing is written after that; the allocator
 * lives inside the Session, so every new term rebuilds it from Service status.
 */
export class Controller {
  readonly #c: ControllerConfig;
  #session: Session | undefined;
  #elector: LeaderElector | undefined;
  #running: Promise<void> | undefined;
  #started = false;

  constructor(config: ControllerConfig) {
    this.#c = config;
  }

  /** Resolves once started (campaigning, or leading without election); runs until `signal` aborts. */
  start(signal: AbortSignal): void {
    this.#started = true;
    const election = this.#c.election;
    if (election === undefined) {
      this.#running = this.#lead(signal);
      return;
    }
    this.#elector = new LeaderElector({
      leases: this.#c.clients.coordination,
      namespace: election.namespace,
      name: election.name,
      identity: this.#c.identity,
      leaseDurationSeconds: election.leaseDurationSeconds,
      renewDeadlineMs: election.renewDeadlineMs,
      retryPeriodMs: election.retryPeriodMs,
      logger: this.#c.logger.child({ component: 'leader-election' }),
      onStartedLeading: (leading) => this.#lead(leading),
      onStoppedLeading: () => {
        this.#c.metrics.leader.set(0);
      },
      onNewLeader: (identity) => {
        this.#c.logger.info({ leader: identity }, 'observed leader');
      },
    });
    this.#elector.start(signal);
  }

  /** Stops the session (if leading) and releases the Lease. */
  async stop(): Promise<void> {
    await this.#elector?.stop();
    await this.#running;
  }

  /** Ready: campaigning as a standby, or leading with a rebuilt allocator. */
  ready(): { ok: true } | { ok: false; reason: string } {
    if (!this.#started) return { ok: false, reason: 'not started' };
    const s = this.#session;
    if (s !== undefined && !s.synced()) return { ok: false, reason: 'leading, informers syncing' };
    return { ok: true };
  }

  isLeading(): boolean {
    return this.#session !== undefined;
  }

  async #lead(signal: AbortSignal): Promise<void> {
    const session = new Session({
      clients: this.#c.clients,
      logger: this.#c.logger.child({ component: 'session' }),
      metrics: this.#c.metrics,
      loadBalancerClass: this.#c.loadBalancerClass,
      identity: this.#c.identity,
      workers: this.#c.workers,
      serviceLabelSelector: this.#c.serviceLabelSelector,
    });
    this.#session = session;
    this.#c.metrics.leader.set(1);
    this.#c.logger.info('leading: rebuilding from Service status');
    // BGPPeer status entries of deleted nodes: pruned by the leader, beside the session (never holds it up).
    const pruner = new BgpStatusPruner({
      clients: this.#c.clients,
      logger: this.#c.logger.child({ component: 'bgp-status-pruner' }),
    });
    const pruning = pruner.start(signal);
    try {
      await session.run(signal);
    } finally {
      await pruning;
      await pruner.stop();
      this.#session = undefined;
      this.#c.metrics.leader.set(0);
      this.#c.logger.info('stopped leading: allocator dropped');
    }
  }
}
