import {
  ReopeningPacketSocket,
  type PacketSocket,
  type ReopeningPacketSocketOptions,
} from '@ironlb/packet-socket';
import { type IPFamily, familyOfValidIP } from '@ironlb/shared';
import type { Logger } from 'pino';
import { formatMac, ipTextToBytes, solicitedNodeMac } from '../packet/index.js';
import { familyLabel, type SpeakerMetrics } from '../metrics.js';
import {
  conflictProbe,
  decideArp,
  decideNdp,
  takeoverFrames,
  type Conflict,
  type FrameDecision,
} from './responder.js';
import { GratuitousBursts } from './gratuitous-bursts.js';
import {
  PACKET_RECEIVE_BUFFER_BYTES,
  receiveBufferShort,
  shortReceiveBufferMessage,
} from './receive-buffer.js';

/** When takeover frames go out after we start announcing an IP (ms after takeover). */
export const GRATUITOUS_SCHEDULE_MS: readonly number[] = [0, 100, 500, 2000];

/**
 * Most IPs one "announcing" / "withdrawn" / "reasserting" log line lists: a speaker that (re)starts with 1,000
 * IPs writes 16 lines, not 1,000, and every IP still appears in some line.
 */
export const IPS_PER_LOG_LINE = 64;

export interface InterfaceAnnouncerOptions {
  interface: string;
  metrics: SpeakerMetrics;
  logger: Logger;
  /** MACs allowed to claim our IPs besides ours: other speakers'. */
  peerMacs: () => ReadonlySet<string>;
  onConflict: (conflict: Conflict & { interface: string }) => void;
  /** Period of the active conflict probe for every announced IP (0 disables). */
  conflictProbeIntervalMs: number;
  /**
   * After the interface comes back, wait this long before re-announcing what we still hold: long enough
   * to hear peers again, so a node returning from a partition does not pull IPs that moved away.
   */
  reannounceDelayMs: number;
  /** Receive buffer each socket asks for (default PACKET_RECEIVE_BUFFER_BYTES). */
  receiveBufferBytes?: number;
  /** Opens one packet socket (seam for tests); defaults to the AF_PACKET addon. */
  openSocket?: ReopeningPacketSocketOptions['open'];
}

/**
 * Answers ARP and NDP on one interface for the IPs this node announces there.
 *
 * Invariants: replies and takeover frames always carry this interface's current MAC; takeover frames
 * for an IP are sent only while the IP is still announced (withdrawing cancels the pending burst);
 * IPv6 addresses keep their solicited-node multicast membership exactly while announced.
 */
export class InterfaceAnnouncer {
  private readonly arp: ReopeningPacketSocket;
  private readonly ndp: ReopeningPacketSocket;
  private readonly announced = new Set<string>();
  private readonly bursts = new GratuitousBursts({
    scheduleMs: GRATUITOUS_SCHEDULE_MS,
    onStep: (ip, step) => {
      this.sendTakeover(ip);
      if (step === 0) this.probe(ip);
    },
  });
  /** Receive buffer of each open socket as last reported; logged when it changes. */
  private readonly receiveBuffers = new Map<'arp' | 'ndp', number>();
  private probeTimer: NodeJS.Timeout | null = null;

  constructor(private readonly options: InterfaceAnnouncerOptions) {
    const common = {
      interface: options.interface,
      receiveBufferBytes: options.receiveBufferBytes ?? PACKET_RECEIVE_BUFFER_BYTES,
      ...(options.openSocket === undefined ? {} : { open: options.openSocket }),
      onDown: (e: { code: string; message: string }): void => {
        options.logger.warn({ interface: options.interface, code: e.code }, 'interface down; will reopen');
      },
    };
    this.arp = new ReopeningPacketSocket({
      ...common,
      kind: 'arp',
      onFrames: (frames) => {
        this.receive(frames, decideArp);
      },
      onOpen: (socket) => {
        this.reportReceiveBuffer('arp', socket);
        this.resendLater('IPv4');
      },
    });
    this.ndp = new ReopeningPacketSocket({
      ...common,
      kind: 'ndp',
      onFrames: (frames) => {
        this.receive(frames, decideNdp);
      },
      onOpen: (socket) => {
        this.reportReceiveBuffer('ndp', socket);
        this.resendLater('IPv6');
      },
    });
  }

  get name(): string {
    return this.options.interface;
  }

  start(signal: AbortSignal): void {
    this.arp.start(signal);
    this.ndp.start(signal);
    if (this.options.conflictProbeIntervalMs > 0) {
      this.probeTimer = setInterval(() => {
        for (const ip of this.announced) this.probe(ip);
      }, this.options.conflictProbeIntervalMs);
      this.probeTimer.unref();
    }
  }

  stop(): void {
    const all = [...this.announced];
    for (const ip of all) this.withdraw(ip);
    this.logIps('withdrawn', all);
    this.bursts.stop();
    if (this.probeTimer) clearInterval(this.probeTimer);
    this.probeTimer = null;
    this.arp.stop();
    this.ndp.stop();
    this.receiveBuffers.clear();
    this.options.metrics.socketRcvbufBytes.remove({ interface: this.name });
  }

  ips(): ReadonlySet<string> {
    return this.announced;
  }

  /** Makes the announced set equal to `ips`: new IPs are taken over, missing ones withdrawn. */
  setIps(ips: ReadonlySet<string>): void {
    const gone = [...this.announced].filter((ip) => !ips.has(ip));
    for (const ip of gone) this.withdraw(ip);
    this.logIps('withdrawn', gone);
    const added: string[] = [];
    for (const ip of ips) if (!this.announced.has(ip) && this.takeOver(ip)) added.push(ip);
    this.logIps('announcing', added);
  }

  /** Starts announcing `ip`; false when it is not an IP (nothing changed). */
  private takeOver(ip: string): boolean {
    const bytes = ipTextToBytes(ip);
    if (!bytes) return false;
    this.announced.add(ip);
    if (bytes.length === 16) this.ndp.addMembership(solicitedNodeMac(bytes));
    this.burst(ip);
    return true;
  }

  /**
   * Sends a fresh gratuitous burst for the announced IPs among `ips`: after another speaker that also
   * answered for an IP withdraws, clients may still hold its MAC.
   */
  reassert(ips: ReadonlySet<string>): void {
    const held = [...ips].filter((ip) => this.announced.has(ip));
    for (const ip of held) this.burst(ip);
    this.logIps('reasserting after a co-claimer withdrew', held);
  }

  /** Logs `ips` at info, at most IPS_PER_LOG_LINE per line, with how many the whole change had. */
  private logIps(msg: string, ips: readonly string[]): void {
    for (let i = 0; i < ips.length; i += IPS_PER_LOG_LINE) {
      const part = ips.slice(i, i + IPS_PER_LOG_LINE);
      this.options.logger.info({ interface: this.name, ips: part, of: ips.length }, msg);
    }
  }

  private burst(ip: string): void {
    this.bursts.start(ip);
  }

  /** Stops announcing `ip`, which is announced. */
  private withdraw(ip: string): void {
    if (!this.announced.delete(ip)) return;
    this.bursts.cancel(ip);
    const bytes = ipTextToBytes(ip);
    if (bytes?.length === 16) this.ndp.dropMembership(solicitedNodeMac(bytes));
  }

  /**
   * Exports the socket's receive buffer (the smaller of ARP's and NDP's) and logs it when it changes: at info
   * when the kernel granted the full request, else a warning naming the sysctl to raise.
   */
  private reportReceiveBuffer(kind: 'arp' | 'ndp', socket: PacketSocket): void {
    const buffer = socket.receiveBuffer;
    const previous = this.receiveBuffers.get(kind);
    this.receiveBuffers.set(kind, buffer.effectiveBytes);
    this.options.metrics.socketRcvbufBytes.set(
      { interface: this.name },
      Math.min(...this.receiveBuffers.values()),
    );
    if (previous === buffer.effectiveBytes) return;
    const fields = {
      interface: this.name,
      socket: kind,
      receiveBufferBytes: buffer.effectiveBytes,
      requestedBytes: buffer.requestedBytes,
      forced: buffer.forced,
    };
    if (receiveBufferShort(buffer)) this.options.logger.warn(fields, shortReceiveBufferMessage(buffer));
    else this.options.logger.info(fields, 'packet socket receive buffer');
  }

  /** After a socket (re)opens, e.g. the interface came back, re-announce what we then still hold. */
  private resendLater(family: IPFamily): void {
    const timer = setTimeout(() => {
      for (const ip of this.announced) if (familyOfValidIP(ip) === family) this.sendTakeover(ip);
    }, this.options.reannounceDelayMs);
    timer.unref();
  }

  private sendTakeover(ip: string): void {
    const socket = this.socketFor(ip);
    const mac = socket.socket?.interface.mac;
    const bytes = ipTextToBytes(ip);
    if (!mac || !bytes || !this.announced.has(ip)) return;
    for (const frame of takeoverFrames({ ip: bytes, mac })) {
      if (this.send(socket, frame))
        this.options.metrics.gratuitousSent.inc({ family: familyLabel(familyOfValidIP(ip)) });
    }
  }

  private probe(ip: string): void {
    const socket = this.socketFor(ip);
    const mac = socket.socket?.interface.mac;
    const bytes = ipTextToBytes(ip);
    if (mac && bytes) this.send(socket, conflictProbe({ ip: bytes, mac }));
  }

  private socketFor(ip: string): ReopeningPacketSocket {
    return familyOfValidIP(ip) === 'IPv4' ? this.arp : this.ndp;
  }

  private receive(frames: Buffer[], decide: typeof decideArp): void {
    const socket: PacketSocket | null = (decide === decideArp ? this.arp : this.ndp).socket;
    if (!socket) return;
    const ctx = {
      mac: socket.interface.mac,
      announced: this.announced,
      friendlyMacs: new Set([formatMac(socket.interface.mac), ...this.options.peerMacs()]),
    };
    for (const frame of frames) this.handle(socket, decide(frame, ctx));
  }

  private handle(socket: PacketSocket, d: FrameDecision): void {
    const family = familyLabel(d.kind.startsWith('arp') ? 'IPv4' : 'IPv6');
    if (d.kind === 'arp-request' || d.kind === 'ndp-ns')
      this.options.metrics.requestsReceived.inc({ family });
    if (d.reply && sendStatusOk(socket.send(d.reply), this.options.metrics)) {
      this.options.metrics.repliesSent.inc({ family });
    }
    if (d.conflict) {
      this.options.metrics.conflicts.inc({ family });
      this.options.onConflict({ ...d.conflict, interface: this.name });
    }
  }

  private send(socket: ReopeningPacketSocket, frame: Uint8Array): boolean {
    return sendStatusOk(socket.send(frame), this.options.metrics);
  }
}

function sendStatusOk(status: string, metrics: SpeakerMetrics): boolean {
  if (status === 'ok') return true;
  metrics.sendErrors.inc({ code: status });
  return false;
}
