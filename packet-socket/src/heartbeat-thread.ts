import { nativeAddon, type NativeDestination, type NativeHeartbeatHandle } from './native.js';
import type { Result } from './packet-socket.js';

/**
 * A native thread (no V8 isolate) that sends pre-signed datagrams at their time slots: slot k's datagram goes
 * out once, to every destination, while the monotonic clock (that of `process.hrtime`) is inside slot k, where
 * slot = floor((now − startMs) / intervalMs). It sends only what it was handed: with no datagram for the
 * current slot it stays silent, so a stalled JS thread keeps heartbeating until the slots signed ahead run out,
 * and a hung one then goes silent. Slots below the current one are dropped unsent; sequences only grow.
 *
 * Sockets (one per address family) are bound to `source` when it is of their family, else the kernel picks the
 * source address; the source port is ephemeral. Send failures are counted and reported by `stats()`.
 */
export interface HeartbeatThreadOptions {
  /** Monotonic ms (process.hrtime) at which slot 0 starts. */
  startMs: number;
  intervalMs: number;
  /** How many slots it holds at once; when full, a higher slot replaces the lowest. */
  capacity: number;
}

export interface Destination {
  /** A numeric IPv4 or IPv6 address. */
  address: string;
  port: number;
}

export interface HeartbeatThreadStats {
  /** Slots sent (each to every destination). */
  heartbeats: number;
  /** Datagrams the kernel accepted, slots and `send()` together. */
  datagrams: number;
  /** Datagrams the kernel refused (sendto failed, or no socket could be opened). */
  errors: number;
  /** errno code name of the last failure, if any. */
  lastError: string | undefined;
  /** A bind to the source address that failed since the previous call (then the kernel picks the source). */
  bindFailure: { address: string; code: string } | undefined;
}

export interface HeartbeatThread {
  /** Where slots go, and the local address to send from (undefined: the kernel picks). */
  setPeers(peers: Destination[], source: string | undefined): void;
  /** Adds or replaces slot datagrams; `urgent` sends the current slot's now, or the next one's if it is out. */
  setSlots(slots: [number, Uint8Array][], urgent: boolean): void;
  /** Sends datagrams once, now, from the calling thread over the same sockets. */
  send(datagrams: Uint8Array[], to: Destination[]): void;
  /** Drops every pending slot. */
  clear(): void;
  stats(): HeartbeatThreadStats;
  /** Joins the thread and closes the sockets; nothing is sent afterwards. Idempotent. */
  stop(): void;
}

/** Starts the sending thread; an errno code name if the thread cannot be created. */
export function startHeartbeatThread(options: HeartbeatThreadOptions): Result<HeartbeatThread> {
  const addon = nativeAddon();
  const handle = addon.heartbeatOpen(options.startMs, options.intervalMs, options.capacity);
  if (typeof handle === 'string') return { ok: false, error: handle };
  return { ok: true, value: wrap(handle) };
}

function destinations(list: Destination[]): NativeDestination[] {
  return list.map((d) => [d.address, d.port]);
}

function wrap(handle: NativeHeartbeatHandle): HeartbeatThread {
  const addon = nativeAddon();
  return {
    setPeers: (peers, source) => {
      addon.heartbeatPeers(handle, destinations(peers), source);
    },
    setSlots: (slots, urgent) => {
      addon.heartbeatSlots(
        handle,
        slots.map(([slot]) => slot),
        slots.map(([, datagram]) => datagram),
        urgent,
      );
    },
    send: (datagrams, to) => {
      addon.heartbeatSend(handle, datagrams, destinations(to));
    },
    clear: () => {
      addon.heartbeatClear(handle);
    },
    stats: () => {
      const s = addon.heartbeatStats(handle);
      return {
        heartbeats: s.heartbeats,
        datagrams: s.datagrams,
        errors: s.errors,
        lastError: s.lastError,
        bindFailure:
          s.bindError === undefined ? undefined : { address: s.bindAddress ?? '', code: s.bindError },
      };
    },
    stop: () => {
      addon.heartbeatStop(handle);
    },
  };
}
