import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { familyOfValidIP } from '@ironlb/shared';
import { ClaimAssembly } from './claim-assembly.js';
import { normalizeAddress, sameDigest, type ClaimDigest, type ClaimSet } from './claim-set.js';
import {
  decodeDatagram,
  encodeClaimChunks,
  encodeHeartbeat,
  encodePull,
  MAX_NAME_BYTES,
} from './heartbeat-codec.js';
import type { ClaimsDatagram, Envelope, MembershipDatagram } from './heartbeat-codec.js';
import { HeartbeatSender, monotonicMs, type Peer } from './heartbeat-sender.js';
import { LocalClaims } from './local-claims.js';
import { MemberTable, type Arrival } from './member-table.js';
import type { LocalState, MembershipChange, PeerReport } from './types.js';

/**
 * Speakers learn each other's liveness, claims and API freshness directly over authenticated UDP, so
 * failover does not wait for the API server and an API server outage changes nothing.
 *
 * Heartbeats (one per interval to every peer) carry a digest of the sender's claim set; the set itself
 * travels as chunk datagrams pushed to every peer when it changes, and pulled by a peer whose held set
 * does not match the digest it last heard (rate-limited), so a lost chunk is repaired within a few
 * intervals.
 *
 * Load: n-1 heartbeats per interval each way per node; claim chunks only when a set changes or is pulled.
 */
const CLOCK_WINDOW_MS = 5000;
const RECEIVE_BUFFER_BYTES = 4 * 1024 * 1024;

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
  /** Largest accepted |sender clock − our clock|; default max(CLOCK_WINDOW_MS, 2 × timeoutMs). */
  clockWindowMs?: number;
  onChange: (changes: MembershipChange[]) => void;
  /** Called when an alive peer's claim set or stale flag changed (see peers()). */
  onPeerState?: (node: string) => void;
  /** A datagram was dropped (bad signature, replay, clock window, address mismatch, ...). */
  onInvalid?: (reason: string) => void;
  /** Something is wrong locally but survivable; each distinct message is reported once. */
  onWarning?: (message: string) => void;
}

/** What the speaker's flags decide about membership (the rest is wiring). */
export type MembershipSettings = Pick<
  MembershipOptions,
  'secret' | 'bindAddress' | 'port' | 'intervalMs' | 'timeoutMs' | 'stallToleranceMs'
>;

export class Membership {
  private readonly table: MemberTable;
  private readonly assembly = new ClaimAssembly();
  private readonly local: LocalClaims;
  private readonly incarnation = BigInt(Date.now()) * 1000n + BigInt(Math.floor(Math.random() * 1000));
  private readonly sender: HeartbeatSender;
  private socket: Socket | null = null;
  private sweepTimer: NodeJS.Timeout | null = null;
  private peerList: Peer[] = [];
  private readonly peerByName = new Map<string, Peer>();
  private selfAddress = '::';
  private readonly lastPullMs = new Map<string, number>();
  private readonly lastAnswerMs = new Map<string, number>();
  private readonly warned = new Set<string>();

  constructor(private readonly options: MembershipOptions) {
    this.table = new MemberTable({
      timeoutMs: options.timeoutMs,
      clockWindowMs: options.clockWindowMs ?? Math.max(CLOCK_WINDOW_MS, 2 * options.timeoutMs),
    });
    this.local = new LocalClaims({
      warn: (m) => {
        this.warnOnce(m);
      },
      toleranceMs: options.intervalMs,
    });
    this.sender = new HeartbeatSender({
      intervalMs: options.intervalMs,
      aheadSlots: Math.max(1, Math.ceil(options.stallToleranceMs / options.intervalMs)),
      sign: (slot) => this.signHeartbeat(slot),
      onBindFailed: (address, error) => {
        this.warnOnce(`cannot send heartbeats from the node address ${address} (${error}); the kernel picks`);
      },
      onSendFailed: (count, code) => {
        this.warnOnce(
          `membership datagrams not sent: ${code} (${count} since the last report; warned once per code)`,
        );
      },
    });
  }

  async start(signal?: AbortSignal): Promise<void> {
    if (Buffer.byteLength(this.options.self, 'utf8') > MAX_NAME_BYTES)
      throw new Error(`node name longer than ${MAX_NAME_BYTES} bytes: ${this.options.self}`);
    const socket = createSocket({
      type: familyOfValidIP(this.options.bindAddress) === 'IPv6' ? 'udp6' : 'udp4',
    });
    socket.on('message', (msg, rinfo) => {
      this.receive(msg, rinfo);
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
    try {
      // Claim chunks arrive in bursts; the kernel caps this at net.core.rmem_max.
      socket.setRecvBufferSize(RECEIVE_BUFFER_BYTES);
    } catch {
      // Keep the default buffer: pulls repair what a full buffer drops.
    }
    const started = this.sender.start(this.peerList, this.sourceAddress());
    if (!started.ok) {
      socket.close();
      throw new Error(`cannot start the heartbeat sending thread: ${started.error}`);
    }
    this.socket = socket;
    this.scheduleSweep();
    signal?.addEventListener('abort', () => void this.stop(), { once: true });
  }

  /** All speakers (self included, to learn our own address); heartbeats go to the others. */
  setPeers(peers: Peer[]): void {
    const selfAddress =
      normalizeAddress(peers.find((p) => p.name === this.options.self)?.address ?? '') ?? '::';
    this.peerList = peers.filter((p) => p.name !== this.options.self);
    this.peerByName.clear();
    for (const p of this.peerList) this.peerByName.set(p.name, p);
    const addressChanged = selfAddress !== this.selfAddress;
    this.selfAddress = selfAddress;
    this.sender.setPeers(this.peerList, this.sourceAddress());
    if (addressChanged) this.sender.resign();
    const changes = this.table.retain(new Set(this.peerByName.keys()));
    for (const name of [...this.lastPullMs.keys(), ...this.lastAnswerMs.keys()]) {
      if (this.peerByName.has(name)) continue;
      this.lastPullMs.delete(name);
      this.lastAnswerMs.delete(name);
    }
    for (const c of changes) this.assembly.forget(c.node);
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
      const { stalenessMs, stale, digest, macs } = m.state;
      const claims = this.assembly.claimsFor(m.node, digest);
      reports.set(m.node, { node: m.node, stalenessMs, stale, claims, macs });
    }
    return reports;
  }

  /** Sets what we tell peers about ourselves; cheap when nothing changed. */
  publish(state: LocalState): void {
    const changed = this.local.update(state, monotonicMs());
    // Re-sign first: every heartbeat the thread sends after the chunks then carries the new digest.
    if (changed.heartbeat) this.sender.resign();
    if (changed.claims) this.pushClaims(this.peerList);
  }

  /** MACs each known peer announces from (for telling a peer's takeover from a foreign claim). */
  peerMacs(): Map<string, string[]> {
    return new Map(this.table.all().map((m) => [m.node, m.state.macs]));
  }

  /** Tells peers we are going away so they take over at once instead of waiting for the timeout. */
  async leave(): Promise<void> {
    const sequence = this.sender.finalSequence();
    const datagram = encodeHeartbeat(
      {
        kind: 'leaving',
        ...this.envelope(sequence, Date.now()),
        state: this.local.heartbeatState(monotonicMs()),
      },
      this.options.secret,
    );
    if (!datagram.ok) {
      this.warnOnce(`cannot encode the leave message: ${datagram.error}`);
      return;
    }
    await this.sender.leave({ datagram: datagram.value, repeat: 3, spacingMs: 10 });
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

  private sourceAddress(): string | undefined {
    return this.selfAddress === '::' ? undefined : this.selfAddress;
  }

  private envelope(sequence: number, timestampMs: number): Envelope {
    const { self: node } = this.options;
    return { node, incarnation: this.incarnation, sequence, timestampMs, address: this.selfAddress };
  }

  /** The heartbeat of a slot, stamped with the wall-clock time at which the slot starts. */
  private signHeartbeat(slot: number): Buffer | undefined {
    // Until our Node's address is known peers would refuse the heartbeat; setPeers re-signs once it is.
    if (this.selfAddress === '::') return undefined;
    const slotStart = this.sender.slotStartMs(slot);
    const aheadMs = slotStart - monotonicMs();
    const hb = encodeHeartbeat(
      {
        kind: 'alive',
        ...this.envelope(slot, Date.now() + aheadMs),
        state: this.local.heartbeatState(slotStart),
      },
      this.options.secret,
    );
    if (hb.ok) return hb.value;
    this.warnOnce(`cannot encode a heartbeat: ${hb.error}`);
    return undefined;
  }

  private pushClaims(to: Peer[]): void {
    if (to.length === 0) return;
    const set: ClaimSet = this.local.claimSet();
    // Chunks carry the current slot: receivers adopt a complete set sent after the last heartbeat they heard.
    const envelope = this.envelope(this.sender.currentSequence(), Date.now());
    const chunks = encodeClaimChunks(envelope, set, this.options.secret);
    if (chunks.ok) this.sender.send(chunks.value, to);
    else this.warnOnce(`cannot send our claims: ${chunks.error}`);
  }

  private receive(datagram: Buffer, rinfo: RemoteInfo): void {
    const decoded = decodeDatagram(datagram, this.options.secret);
    if (!decoded.ok) {
      this.options.onInvalid?.(decoded.error);
      return;
    }
    const d = decoded.value;
    if (d.node === this.options.self) return;
    const peer = this.peerByName.get(d.node);
    if (!peer) return;
    const at: Arrival = {
      monotonicMs: monotonicMs(),
      wallMs: Date.now(),
      source: normalizeAddress(rinfo.address),
      known: normalizeAddress(peer.address),
    };
    const rejected = this.dispatch(d, peer, at);
    if (rejected) this.options.onInvalid?.(`${d.kind} from ${d.node}: ${rejected}`);
  }

  /** Handles one verified datagram; returns why it was rejected, if it was. */
  private dispatch(d: MembershipDatagram, peer: Peer, at: Arrival): string | undefined {
    if (d.kind === 'pull' || d.kind === 'claims') {
      const rejected = this.table.admitFromMember(d, at);
      if (rejected) return rejected;
      return d.kind === 'pull' ? this.answerPull(peer, at.monotonicMs) : this.takeChunk(d, at.monotonicMs);
    }
    const seen = this.table.observe(d, at);
    if (!seen.accepted) return seen.reason;
    if (seen.change) this.options.onChange([seen.change]);
    if (d.kind === 'leaving') return undefined;
    if (seen.stateChanged) this.options.onPeerState?.(d.node);
    this.requestClaims(peer, d.state.digest, at.monotonicMs);
    return undefined;
  }

  private answerPull(peer: Peer, nowMs: number): string | undefined {
    const last = this.lastAnswerMs.get(peer.name) ?? Number.NEGATIVE_INFINITY;
    if (nowMs - last < this.options.intervalMs / 2) return 'pull rate-limited';
    this.lastAnswerMs.set(peer.name, nowMs);
    this.pushClaims([peer]);
    return undefined;
  }

  private takeChunk(d: ClaimsDatagram, nowMs: number): string | undefined {
    const outcome = this.assembly.add(d.node, d.chunk, nowMs);
    if (outcome === 'digest mismatch') return 'assembled claims do not match their digest';
    if (outcome !== 'completed') return undefined;
    const advertised = this.table.get(d.node)?.state.digest;
    const current = advertised !== undefined && sameDigest(advertised, d.chunk.digest);
    if (current || this.table.adoptDigest(d, d.chunk.digest)) this.options.onPeerState?.(d.node);
    return undefined;
  }

  /** Pulls a peer's claim set when we do not hold the one it advertises (rate-limited per peer). */
  private requestClaims(peer: Peer, digest: ClaimDigest, nowMs: number): void {
    if (this.assembly.claimsFor(peer.name, digest)) return;
    const interval = this.options.intervalMs;
    const inFlight = this.assembly.receivingSince(peer.name, digest);
    if (inFlight !== undefined && nowMs - inFlight < interval) return;
    if (nowMs - (this.lastPullMs.get(peer.name) ?? Number.NEGATIVE_INFINITY) < 2 * interval) return;
    this.lastPullMs.set(peer.name, nowMs);
    const pull = encodePull({ kind: 'pull', ...this.envelope(0, Date.now()), digest }, this.options.secret);
    if (pull.ok) this.sender.send([pull.value], [peer]);
  }

  private warnOnce(message: string): void {
    if (this.warned.has(message)) return;
    this.warned.add(message);
    this.options.onWarning?.(message);
  }

  /**
   * Sweeps run from a timer, but the verdict is taken in setImmediate, i.e. after the event loop's
   * I/O phase, so datagrams that queued up while we were busy are read before anyone is declared
   * dead. A late timer means we stalled: silence overlapping the stall is forgiven. A late verdict is judged
   * as of the timer: callbacks queued before it (a plan, a relist) can block between the timer and the verdict,
   * and datagrams that arrived meanwhile are read only in the next I/O phase (on a CPU-starved node a plan took
   * 0.4 s and every peer was declared dead at once). A peer already silent for the timeout at the timer is
   * declared dead in the same verdict as before, so failover is not delayed.
   */
  private scheduleSweep(): void {
    const period = Math.max(10, Math.floor(this.options.intervalMs / 2));
    const expected = monotonicMs() + period;
    this.sweepTimer = setTimeout(() => {
      const now = monotonicMs();
      if (now - expected > this.options.intervalMs) this.table.noteStall(now);
      setImmediate(() => {
        const at = monotonicMs();
        const changes = this.table.sweep(at - now > this.options.intervalMs ? now : at);
        if (changes.length > 0) this.options.onChange(changes);
        if (this.socket) this.scheduleSweep();
      });
    }, period);
  }
}

export type { LocalState, MembershipChange, PeerReport, Peer };
