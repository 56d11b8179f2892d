import { createSocket, type Socket } from 'node:dgram';
import { decodeHeartbeat, encodeHeartbeat } from './heartbeat-codec.js';
import { HeartbeatSender, monotonicMs, type Peer } from './heartbeat-sender.js';
import { MemberTable } from './member-table.js';
import type { LocalState, MembershipChange, PeerReport } from './types.js';

/**
 * Speakers learn each other's liveness directly over authenticated UDP, so failover does not wait for
 * the API server and an API server outage changes nothing.
 *
 * Load: every speaker sends one datagram per interval to every other speaker, so the messages a node
 * sends and receives grow linearly with the number of nodes (n-1 per interval each way).
 */
export interface MembershipOptions {
  self: string;
  secret: Uint8Array;
  /** Address and port to receive heartbeats on. */
  bindAddress: string;
  port: number;
  /** Heartbeat period. */
  intervalMs: number;
  /** Silence after which a peer is considered dead. */
  timeoutMs: number;
  /** How long a stalled main thread is covered by pre-signed heartbeats before we go silent. */
  stallToleranceMs: number;
  onChange: (changes: MembershipChange[]) => void;
  /** Called when an alive peer's claim set or stale flag changed (see peers()). */
  onPeerState?: (node: string) => void;
  onInvalid?: (reason: string) => void;
}

export class Membership {
  private readonly table: MemberTable;
  private readonly incarnation = BigInt(Date.now()) * 1000n + BigInt(Math.floor(Math.random() * 1000));
  private readonly sender: HeartbeatSender;
  private socket: Socket | null = null;
  private sweepTimer: NodeJS.Timeout | null = null;
  private peerList: Peer[] = [];
  private local: LocalState = { claims: new Map(), stalenessMs: 0, stale: false, macs: [] };

  constructor(private readonly options: MembershipOptions) {
    this.table = new MemberTable(options.timeoutMs);
    this.sender = new HeartbeatSender({
      intervalMs: options.intervalMs,
      aheadSlots: Math.max(1, Math.ceil(options.stallToleranceMs / options.intervalMs)),
      sign: (slot, kind) =>
        encodeHeartbeat(
          {
            kind,
            node: options.self,
            incarnation: this.incarnation,
            sequence: slot,
            macs: this.local.macs.slice(0, 8),
          },
          options.secret,
        ),
    });
  }

  async start(signal?: AbortSignal): Promise<void> {
    const socket = createSocket({ type: this.options.bindAddress.includes(':') ? 'udp6' : 'udp4' });
    socket.on('message', (msg) => {
      this.receive(msg);
    });
    socket.on('error', (e) => {
      this.options.onInvalid?.(`socket error: ${e.message}`);
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(this.options.port, this.options.bindAddress, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    this.socket = socket;
    this.sender.start(this.peerList);
    this.scheduleSweep();
    signal?.addEventListener('abort', () => void this.stop(), { once: true });
  }

  /** The other speakers to heartbeat (self is filtered out). */
  setPeers(peers: Peer[]): void {
    this.peerList = peers.filter((p) => p.name !== this.options.self);
    this.sender.setPeers(this.peerList);
    const changes = this.table.retain(new Set(this.peerList.map((p) => p.name)));
    if (changes.length > 0) this.options.onChange(changes);
  }

  /** Alive speakers, including this one. */
  alive(): Set<string> {
    return new Set([this.options.self, ...this.table.alive()]);
  }

  /** What each alive peer last told us (alive peers only; self excluded). */
  peers(): ReadonlyMap<string, PeerReport> {
    const reports = new Map<string, PeerReport>();
    for (const m of this.table.all()) {
      if (!m.alive) continue;
      reports.set(m.node, { node: m.node, stalenessMs: 0, stale: false, claims: undefined, macs: m.macs });
    }
    return reports;
  }

  /** Sets what we tell peers about ourselves; cheap when nothing changed. */
  publish(state: LocalState): void {
    this.local = state;
  }

  /** MACs each alive peer announces from (for telling a peer's takeover from a foreign claim). */
  peerMacs(): Map<string, string[]> {
    return new Map(this.table.all().map((m) => [m.node, m.macs]));
  }

  /** Tells peers we are going away so they take over at once instead of waiting for the timeout. */
  async leave(): Promise<void> {
    await this.sender.leave({ repeat: 3, spacingMs: 10 });
  }

  async stop(): Promise<void> {
    if (this.sweepTimer) clearTimeout(this.sweepTimer);
    this.sweepTimer = null;
    await this.sender.stop();
    const socket = this.socket;
    this.socket = null;
    if (socket)
      await new Promise<void>((resolve) => {
        socket.close(() => {
          resolve();
        });
      });
  }

  private receive(datagram: Buffer): void {
    const decoded = decodeHeartbeat(datagram, this.options.secret);
    if (!decoded.ok) {
      this.options.onInvalid?.(decoded.error);
      return;
    }
    if (decoded.value.node === this.options.self) return;
    if (!this.peerList.some((p) => p.name === decoded.value.node)) return;
    const change = this.table.observe(decoded.value, monotonicMs());
    if (change) this.options.onChange([change]);
  }

  /**
   * Sweeps run from a timer, but the verdict is taken in setImmediate, i.e. after the event loop's
   * I/O phase, so datagrams that queued up while we were busy are read before anyone is declared
   * dead. A late timer means we stalled: silence overlapping the stall is forgiven.
   */
  private scheduleSweep(): void {
    const period = Math.max(10, Math.floor(this.options.intervalMs / 2));
    const expected = monotonicMs() + period;
    this.sweepTimer = setTimeout(() => {
      const now = monotonicMs();
      if (now - expected > this.options.intervalMs) this.table.noteStall(now);
      setImmediate(() => {
        const changes = this.table.sweep(monotonicMs());
        if (changes.length > 0) this.options.onChange(changes);
        if (this.socket) this.scheduleSweep();
      });
    }, period);
  }
}

export type { LocalState, MembershipChange, PeerReport, Peer };
