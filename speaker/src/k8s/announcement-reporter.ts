import { familyOfValidIP } from '@ironlb/shared';
import { backoffDelay, type CoreV1Client, type EventRecorder, type WriteFailure } from '@ironlb/shared/kube';
import { patchNodeAnnotation } from './node-annotation.js';
import type { Logger } from 'pino';
import { rankNodes } from '../election/index.js';
import type { IpPlan, ServiceRef } from '../planner/index.js';
import type { Conflict } from '../l2/responder.js';

/** Node annotation listing the IPs this node announces: `kubectl get node -o yaml` shows it. */
export const ANNOUNCING_ANNOTATION = 'ironlb.io/announcing';

export interface AnnouncementReporterOptions {
  self: string;
  recorder: Pick<EventRecorder, 'emit'>;
  core: Pick<CoreV1Client, 'patchNode'>;
  logger: Pick<Logger, 'info' | 'warn'>;
  /** Delay before the node annotation is written, so bursts of changes make one write. */
  annotationDebounceMs: number;
  /** Longest wait before retrying a failed annotation write (default 30 s). */
  annotationRetryMaxMs?: number | undefined;
  /**
   * Random source in [0, 1) for the retry jitter (default Math.random): a failed write waits its backoff less
   * up to 20 %, so the speakers of a cluster do not retry in step when the API server comes back.
   */
  random?: (() => number) | undefined;
}

/** Share of a retry backoff taken off at random (see `random`). */
const RETRY_JITTER = 0.2;

/**
 * Makes announcements visible with kubectl, without per-Service API writes on the hot path:
 * - the node that starts announcing an IP emits a Normal `Announcing` event on its Services;
 * - when no node may announce a covered IP, exactly one speaker (the first of the alive speakers in the
 *   IP's ranking) emits a Warning `NotAnnounced` event with every node's reason;
 * - conflicts become Warning `IPConflict` events;
 * - each speaker keeps its own Node's `ironlb.io/announcing` annotation equal to what it announces.
 */
export class AnnouncementReporter {
  private readonly lastAnnouncer = new Map<string, string | null>();
  private annotationTimer: NodeJS.Timeout | null = null;
  private writtenAnnotation: string | null | undefined = undefined;
  private wantedAnnotation: string | null = null;
  /** Failed writes in a row (409 aside): the retry backoff's exponent. */
  private failures = 0;
  /** The last write met 404 and no write has succeeded since (logged once per episode). */
  private nodeGone = false;
  /** The value whose write met 404 while its retry waits; undefined when no such wait is pending. */
  private goneValue: string | null | undefined = undefined;
  private stopped = false;
  /** A write is in flight: nothing else is scheduled until it settles (it re-checks what is wanted). */
  private writing = false;

  constructor(private readonly options: AnnouncementReporterOptions) {}

  /** Compares with the previous plan; returns how many IPs changed announcer. */
  report(args: {
    plans: readonly IpPlan[];
    alive: ReadonlySet<string>;
    interfacesOf: (ip: string) => string[];
  }): number {
    let changes = 0;
    const current = new Set<string>();
    for (const plan of args.plans) {
      if (plan.pool === null) continue;
      current.add(plan.ip);
      const previous = this.lastAnnouncer.get(plan.ip);
      if (previous === plan.announcer) continue;
      if (previous !== undefined) changes++;
      this.lastAnnouncer.set(plan.ip, plan.announcer);
      if (plan.announcer === this.options.self)
        this.announcing(plan, previous ?? null, args.interfacesOf(plan.ip));
      else if (plan.announcer === null) this.notAnnounced(plan, args.alive);
    }
    for (const ip of [...this.lastAnnouncer.keys()]) if (!current.has(ip)) this.lastAnnouncer.delete(ip);
    return changes;
  }

  conflict(args: { conflict: Conflict & { interface: string }; services: readonly ServiceRef[] }): void {
    const { conflict } = args;
    const note =
      `${conflict.ip} is also claimed by ${conflict.mac} (${conflict.evidence} seen on ${conflict.interface} ` +
      `of node ${this.options.self}). ironlb keeps announcing it; clients may reach either host until the ` +
      `address is removed from that host or from the IPPool.`;
    this.options.logger.warn(
      { ip: conflict.ip, mac: conflict.mac, evidence: conflict.evidence },
      'IP conflict',
    );
    this.emit({ services: args.services, type: 'Warning', reason: 'IPConflict', note });
  }

  /**
   * Schedules the node annotation write (debounced). A failed write is retried: 409 after the debounce delay,
   * any other error after a backoff doubling up to `annotationRetryMaxMs`; 404 (our Node is gone) is logged once
   * and retried at the same capped backoff, or sooner (after the debounce delay) when the announced IPs change.
   */
  setAnnounced(ips: readonly string[]): void {
    this.wantedAnnotation = ips.length === 0 ? null : [...ips].sort().join(',');
    if (this.stopped || this.writing || this.wantedAnnotation === this.writtenAnnotation) return;
    if (this.annotationTimer) {
      // Only a wait after a 404 is cut short, and only by a new value: the Node may be back by then.
      if (this.goneValue === undefined || this.goneValue === this.wantedAnnotation) return;
      clearTimeout(this.annotationTimer);
      this.goneValue = undefined;
    }
    this.scheduleWrite(this.options.annotationDebounceMs);
  }

  /** Stops writing; on a graceful stop also clears our Node's annotation (best effort, bounded). */
  async stop(opts: { clear: boolean }): Promise<void> {
    this.stopped = true;
    if (this.annotationTimer) clearTimeout(this.annotationTimer);
    this.annotationTimer = null;
    if (!opts.clear || this.writtenAnnotation === null) return;
    const cleared = patchNodeAnnotation({
      core: this.options.core,
      node: this.options.self,
      annotations: { [ANNOUNCING_ANNOTATION]: null },
    });
    await Promise.race([cleared, new Promise((r) => setTimeout(r, 1000))]);
  }

  private scheduleWrite(delayMs: number): void {
    this.annotationTimer = setTimeout(() => {
      this.annotationTimer = null;
      this.goneValue = undefined;
      void this.writeAnnotation();
    }, delayMs);
    this.annotationTimer.unref();
  }

  private async writeAnnotation(): Promise<void> {
    const value = this.wantedAnnotation;
    if (value === this.writtenAnnotation) return;
    this.writing = true;
    const result = await patchNodeAnnotation({
      core: this.options.core,
      node: this.options.self,
      annotations: { [ANNOUNCING_ANNOTATION]: value },
    });
    this.writing = false;
    if (this.stopped) return;
    if (result.ok) {
      this.writtenAnnotation = value;
      this.failures = 0;
      if (this.nodeGone) this.options.logger.info('our Node is back: recorded announced IPs on it');
      this.nodeGone = false;
      if (this.wantedAnnotation !== value) this.scheduleWrite(this.options.annotationDebounceMs);
      return;
    }
    this.failed(result.error, value);
  }

  /** Logs a failed write (a 404 once until a write succeeds) and schedules its retry. */
  private failed(failure: WriteFailure, value: string | null): void {
    const log = { kind: failure.kind, code: failure.code, err: failure.message };
    if (failure.kind === 'conflict') {
      this.options.logger.warn(log, 'could not record announced IPs on the node; retrying');
      this.scheduleWrite(this.options.annotationDebounceMs);
      return;
    }
    this.failures += 1;
    const backoffMs = backoffDelay(
      { baseMs: this.options.annotationDebounceMs, maxMs: this.options.annotationRetryMaxMs ?? 30_000 },
      this.failures,
    );
    // Below the cap, not above it: at the cap every speaker would otherwise wait exactly the same time.
    const delayMs = Math.round(backoffMs * (1 - RETRY_JITTER * (this.options.random ?? Math.random)()));
    if (failure.kind === 'not-found') {
      if (!this.nodeGone)
        this.options.logger.warn(
          { ...log, retryInMs: delayMs },
          'our Node is gone: cannot record announced IPs on it; retrying with backoff or when they change',
        );
      this.nodeGone = true;
      this.goneValue = value;
    } else
      this.options.logger.warn(
        { ...log, retryInMs: delayMs },
        'could not record announced IPs on the node; retrying',
      );
    this.scheduleWrite(delayMs);
  }

  private announcing(plan: IpPlan, previous: string | null, interfaces: string[]): void {
    const where = interfaces.length > 0 ? ` on ${interfaces.join(', ')}` : '';
    const how = familyOfValidIP(plan.ip) === 'IPv4' ? 'ARP' : 'NDP';
    const from = previous === null ? '' : ` (took over from ${previous})`;
    this.emit({
      services: plan.services,
      type: 'Normal',
      reason: 'Announcing',
      note: `${plan.ip} is announced by node ${this.options.self}${where} via ${how}${from}`,
    });
  }

  private notAnnounced(plan: IpPlan, alive: ReadonlySet<string>): void {
    // The controller already reports pools that no L2Announcement covers.
    if (plan.nodes.every((n) => n.ineligible?.reason === 'NoL2Announcement')) return;
    const reporter = rankNodes(plan.ip, [...alive])[0]?.node;
    if (reporter !== this.options.self) return;
    const why = plan.nodes.map((n) => `${n.node}: ${n.ineligible?.message ?? 'eligible'}`).join('; ');
    this.emit({
      services: plan.services,
      type: 'Warning',
      reason: 'NotAnnounced',
      note: `${plan.ip} is not announced: no node may announce it (${why})`,
    });
  }

  private emit(args: {
    services: readonly ServiceRef[];
    type: 'Normal' | 'Warning';
    reason: string;
    note: string;
  }): void {
    for (const s of args.services) {
      this.options.recorder.emit({
        regarding: { apiVersion: 'v1', kind: 'Service', namespace: s.namespace, name: s.name, uid: s.uid },
        type: args.type,
        reason: args.reason,
        note: args.note,
        action: 'Announce',
      });
    }
  }
}
