import { familyOfValidIP } from '@ironlb/shared';
import type { Logger } from 'pino';
import { familyLabel, type SpeakerMetrics } from '../metrics.js';
import { InterfaceAnnouncer } from './interface-announcer.js';
import type { Conflict } from './responder.js';

export interface AnnouncerOptions {
  metrics: SpeakerMetrics;
  logger: Logger;
  peerMacs: () => ReadonlySet<string>;
  onConflict: (conflict: Conflict & { interface: string }) => void;
  conflictProbeIntervalMs: number;
  reannounceDelayMs: number;
  /** Seam for tests. */
  createInterface?: (name: string) => Pick<InterfaceAnnouncer, 'start' | 'stop' | 'setIps' | 'ips'>;
}

type Iface = Pick<InterfaceAnnouncer, 'start' | 'stop' | 'setIps' | 'ips'>;

/**
 * Owns one InterfaceAnnouncer per interface that has something to announce.
 * Invariant: after `apply(desired)`, exactly the (interface, IP) pairs in `desired` are announced.
 */
export class Announcer {
  private readonly interfaces = new Map<string, Iface>();
  private signal: AbortSignal | null = null;

  constructor(private readonly options: AnnouncerOptions) {}

  start(signal: AbortSignal): void {
    this.signal = signal;
  }

  apply(desired: ReadonlyMap<string, ReadonlySet<string>>): void {
    const signal = this.signal;
    if (!signal) throw new Error('Announcer.apply before start');
    for (const [name, iface] of this.interfaces) {
      if (desired.has(name)) continue;
      iface.stop();
      this.interfaces.delete(name);
    }
    for (const [name, ips] of desired) {
      let iface = this.interfaces.get(name);
      if (!iface) {
        iface = this.create(name);
        iface.start(signal);
        this.interfaces.set(name, iface);
      }
      iface.setIps(ips);
    }
    this.updateGauge();
  }

  /** IP → interfaces it is announced on. */
  announced(): Map<string, string[]> {
    const out = new Map<string, string[]>();
    for (const [name, iface] of this.interfaces) {
      for (const ip of iface.ips()) out.set(ip, [...(out.get(ip) ?? []), name]);
    }
    return out;
  }

  stop(): void {
    for (const iface of this.interfaces.values()) iface.stop();
    this.interfaces.clear();
    this.updateGauge();
  }

  private create(name: string): Iface {
    if (this.options.createInterface) return this.options.createInterface(name);
    return new InterfaceAnnouncer({
      interface: name,
      metrics: this.options.metrics,
      logger: this.options.logger,
      peerMacs: this.options.peerMacs,
      onConflict: this.options.onConflict,
      conflictProbeIntervalMs: this.options.conflictProbeIntervalMs,
      reannounceDelayMs: this.options.reannounceDelayMs,
    });
  }

  private updateGauge(): void {
    const counts = { ipv4: 0, ipv6: 0 };
    for (const ip of this.announced().keys()) counts[familyLabel(familyOfValidIP(ip))]++;
    this.options.metrics.announcedIps.set({ family: 'ipv4' }, counts.ipv4);
    this.options.metrics.announcedIps.set({ family: 'ipv6' }, counts.ipv6);
  }
}
