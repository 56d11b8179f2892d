import {
  openPacketSocket,
  type PacketSocket,
  type PacketSocketError,
  type PacketSocketOptions,
  type Result,
  type SendStatus,
} from './packet-socket.js';

export interface ReopeningPacketSocketOptions {
  interface: string;
  kind: PacketSocketOptions['kind'];
  /** Receive buffer asked for on every (re)open (see PacketSocketOptions). */
  receiveBufferBytes?: number;
  onFrames: PacketSocketOptions['onFrames'];
  /** Called after every successful (re)open, e.g. to send gratuitous ARP / unsolicited NA again. */
  onOpen?: (socket: PacketSocket) => void;
  /** Called when the socket is lost or an open attempt fails; a retry is already scheduled. */
  onDown?: (error: PacketSocketError) => void;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** Injection point for tests; defaults to openPacketSocket. */
  open?: (options: PacketSocketOptions) => Result<PacketSocket>;
}

/**
 * Keeps one packet socket open on an interface across the interface going down, disappearing and coming back.
 * Invariants: at most one socket is open; multicast memberships are remembered (reference counted per MAC)
 * and re-applied on every reopen; retries back off exponentially from initialBackoffMs to maxBackoffMs and
 * reset after a successful open; after stop() (or abort) nothing is open and no timer is pending.
 */
export class ReopeningPacketSocket {
  readonly #options: ReopeningPacketSocketOptions;
  readonly #memberships = new Map<string, { mac: Uint8Array; count: number }>();
  #socket: PacketSocket | null = null;
  #timer: NodeJS.Timeout | null = null;
  #backoffMs = 0;
  #running = false;
  #onAbort = (): void => {
    this.stop();
  };
  #signal: AbortSignal | null = null;

  constructor(options: ReopeningPacketSocketOptions) {
    this.#options = options;
  }

  get socket(): PacketSocket | null {
    return this.#socket;
  }

  start(signal: AbortSignal): void {
    if (this.#running || signal.aborted) return;
    this.#running = true;
    this.#signal = signal;
    signal.addEventListener('abort', this.#onAbort, { once: true });
    this.#backoffMs = this.#options.initialBackoffMs ?? 100;
    this.#attempt();
  }

  stop(): void {
    this.#running = false;
    this.#signal?.removeEventListener('abort', this.#onAbort);
    this.#signal = null;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    this.#socket?.close();
    this.#socket = null;
  }

  send(frame: Uint8Array): SendStatus {
    return this.#socket === null ? 'closed' : this.#socket.send(frame);
  }

  addMembership(mac: Uint8Array): SendStatus {
    const key = macKey(mac);
    const entry = this.#memberships.get(key);
    if (entry !== undefined) {
      entry.count++;
      return 'ok';
    }
    this.#memberships.set(key, { mac: Uint8Array.from(mac), count: 1 });
    return this.#socket === null ? 'closed' : this.#socket.addMembership(mac);
  }

  dropMembership(mac: Uint8Array): SendStatus {
    const key = macKey(mac);
    const entry = this.#memberships.get(key);
    if (entry === undefined) return 'ok';
    if (--entry.count > 0) return 'ok';
    this.#memberships.delete(key);
    return this.#socket === null ? 'closed' : this.#socket.dropMembership(mac);
  }

  #attempt(): void {
    this.#timer = null;
    if (!this.#running) return;
    const open = this.#options.open ?? openPacketSocket;
    const result = open({
      interface: this.#options.interface,
      kind: this.#options.kind,
      receiveBufferBytes: this.#options.receiveBufferBytes,
      onFrames: this.#options.onFrames,
      onError: (error) => {
        this.#lost(error);
      },
    });
    if (!result.ok) {
      this.#retry({ code: result.error, message: `open ${this.#options.interface}: ${result.error}` });
      return;
    }
    this.#socket = result.value;
    this.#backoffMs = this.#options.initialBackoffMs ?? 100;
    for (const { mac } of this.#memberships.values()) result.value.addMembership(mac);
    this.#options.onOpen?.(result.value);
  }

  #lost(error: PacketSocketError): void {
    this.#socket?.close();
    this.#socket = null;
    this.#retry(error);
  }

  #retry(error: PacketSocketError): void {
    if (!this.#running || this.#timer !== null) return;
    this.#options.onDown?.(error);
    const delay = this.#backoffMs;
    this.#backoffMs = Math.min(delay * 2, this.#options.maxBackoffMs ?? 5000);
    this.#timer = setTimeout(() => {
      this.#attempt();
    }, delay);
  }
}

function macKey(mac: Uint8Array): string {
  return Array.from(mac, (b) => b.toString(16).padStart(2, '0')).join(':');
}
