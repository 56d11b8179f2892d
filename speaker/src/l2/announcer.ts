import { familyOfValidIP } from '@ironlb/shared';
import { familyLabel } from '../metrics.js';
import { InterfaceAnnouncer, type InterfaceAnnouncerOptions } from './interface-announcer.js';

type Iface = Pick<InterfaceAnnouncer, 'start' | 'stop' | 'setIps' | 'ips' | 'reassert'>;

/** What every InterfaceAnnouncer gets (all but its interface name), and a seam for tests. */
export interface AnnouncerOptions extends Omit<InterfaceAnnouncerOptions, 'interface'> {
  createInterface?: (name: string) => Iface;
}

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

  /** Sends a fresh gratuitous burst for those of `ips` that are announced (e.g. a co-claimer withdrew). */
  reassert(ips: ReadonlySet<string>): void {
    for (const iface of this.interfaces.values()) iface.reassert(ips);
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
    const { createInterface, ...shared } = this.options;
    return createInterface ? createInterface(name) : new InterfaceAnnouncer({ ...shared, interface: name });
  }

  private updateGauge(): void {
    const counts = { ipv4: 0, ipv6: 0 };
    for (const ip of this.announced().keys()) counts[familyLabel(familyOfValidIP(ip))]++;
    this.options.metrics.announcedIps.set({ family: 'ipv4' }, counts.ipv4);
    this.options.metrics.announcedIps.set({ family: 'ipv6' }, counts.ipv6);
  }
}
