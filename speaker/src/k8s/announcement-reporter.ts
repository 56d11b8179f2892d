import { familyOfValidIP } from '@ironlb/shared';
import type { CoreV1Client, EventRecorder } from '@ironlb/shared/kube';
import { patchNodeAnnotation } from './node-annotation.js';
import type { Logger } from 'pino';
import { rankNodes } from '../election/index.js';
import type { IpPlan, ServiceRef } from '../planner/index.js';
import type { Conflict } from '../l2/responder.js';

/** Node annotation listing the IPs this node announces: `kubectl get node -o yaml` shows it. */
export const ANNOUNCING_ANNOTATION = 'ironlb.io/announcing';

export interface AnnouncementReporterOptions {
  self: string;
  recorder: EventRecorder;
  core: CoreV1Client;
  logger: Logger;
  /** Delay before the node annotation is written, so bursts of changes make one write. */
  annotationDebounceMs: number;
}

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

  /** Schedules the node annotation write (debounced; retried on the next change if it fails). */
  setAnnounced(ips: readonly string[]): void {
    this.wantedAnnotation = ips.length === 0 ? null : [...ips].sort().join(',');
    if (this.wantedAnnotation === this.writtenAnnotation || this.annotationTimer) return;
    this.annotationTimer = setTimeout(() => {
      this.annotationTimer = null;
      void this.writeAnnotation();
    }, this.options.annotationDebounceMs);
    this.annotationTimer.unref();
  }

  /** Stops writing; on a graceful stop also clears our Node's annotation (best effort, bounded). */
  async stop(opts: { clear: boolean }): Promise<void> {
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

  private async writeAnnotation(): Promise<void> {
    const value = this.wantedAnnotation;
    const result = await patchNodeAnnotation({
      core: this.options.core,
      node: this.options.self,
      annotations: { [ANNOUNCING_ANNOTATION]: value },
    });
    if (result.ok) this.writtenAnnotation = value;
    else
      this.options.logger.warn(
        { kind: result.error.kind, code: result.error.code, err: result.error.message },
        'could not record announced IPs on the node',
      );
    if (this.wantedAnnotation !== this.writtenAnnotation)
      this.setAnnounced(this.wantedAnnotation?.split(',') ?? []);
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
