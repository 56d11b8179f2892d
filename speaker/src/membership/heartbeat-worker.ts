import { createSocket, type Socket } from 'node:dgram';
import { parentPort } from 'node:worker_threads';
import type { IPFamily } from '@ironlb/shared';

/**
 * The heartbeat worker thread: sends the pre-signed datagram of the current time slot every interval,
 * and whatever else the main thread hands it (claim chunks, pulls, leave messages). It signs nothing
 * and decides nothing, so a hung main thread makes it run out of datagrams and go silent.
 *
 * Loaded by heartbeat-sender.ts as its own module: from source (.ts, Node strips the types) in tests
 * and from dist (.js) in production. Keep it small and free of imports beyond node: modules and type-only
 * imports (erased): the main thread tells it each address's family, it never parses addresses itself.
 *
 * Slots are derived from the process-wide monotonic clock, so both threads agree on them.
 */
export interface WorkerAddress {
  address: string;
  family: IPFamily;
}

export interface WorkerPeer extends WorkerAddress {
  port: number;
}

export type ToWorker =
  | { type: 'config'; intervalMs: number; startMs: number }
  /** `source`: the local address to send from (our node address), if known. */
  | { type: 'peers'; peers: WorkerPeer[]; source: WorkerAddress | undefined }
  /**
   * Adds or replaces the datagrams of these slots. `urgent`: what heartbeats say changed, so send the next
   * unsent one now (the current slot's, or the next slot's if the current one is out) instead of waiting.
   */
  | { type: 'slots'; slots: [number, Uint8Array][]; urgent: boolean }
  | { type: 'send'; datagrams: Uint8Array[]; to: WorkerPeer[] }
  | { type: 'leave'; datagram: Uint8Array; repeat: number; spacingMs: number }
  | { type: 'stop' };

export type FromWorker = { type: 'left' } | { type: 'bind-failed'; address: string; error: string };

const port = parentPort;
const sockets = new Map<'udp4' | 'udp6', Socket>();
const slots = new Map<number, Uint8Array>();
let peers: WorkerPeer[] = [];
let source: WorkerAddress | undefined;
let timer: NodeJS.Timeout | undefined;
let config: { intervalMs: number; startMs: number } | undefined;

function nowMs(): number {
  return Number(process.hrtime.bigint() / 1_000_000n);
}

function socketFor(to: WorkerAddress): Socket {
  const type = to.family === 'IPv6' ? 'udp6' : 'udp4';
  const existing = sockets.get(type);
  if (existing) return existing;
  const socket = createSocket(type);
  socket.on('error', () => undefined);
  sockets.set(type, socket);
  const from = source;
  if (from !== undefined && from.family === to.family) {
    // Send from our node address, which receivers check against the datagram's source. If the address
    // is not local (misconfiguration), fall back to letting the kernel choose and tell the main thread.
    const onBindError = (e: Error): void => {
      port?.postMessage({
        type: 'bind-failed',
        address: from.address,
        error: e.message,
      } satisfies FromWorker);
      if (source === from) source = undefined;
      sockets.delete(type);
      socket.close();
    };
    socket.once('error', onBindError);
    socket.once('listening', () => socket.off('error', onBindError));
    socket.bind(0, from.address);
  }
  return socket;
}

function closeSockets(): void {
  for (const socket of sockets.values()) socket.close();
  sockets.clear();
}

function sendAll(datagram: Uint8Array, to: WorkerPeer[]): void {
  for (const p of to) {
    socketFor(p).send(datagram, p.port, p.address, () => undefined);
  }
}

let lastSent = Number.NEGATIVE_INFINITY;

function currentSlot(c: { intervalMs: number; startMs: number }): number {
  return Math.floor((nowMs() - c.startMs) / c.intervalMs);
}

/** Sends a slot's datagram at most once; sequences only grow (an early send leaves its slot silent). */
function sendSlot(slot: number): boolean {
  const datagram = slots.get(slot);
  if (!datagram || slot <= lastSent) return false;
  slots.delete(slot);
  lastSent = slot;
  sendAll(datagram, peers);
  return true;
}

function tick(): void {
  if (!config) return;
  const slot = currentSlot(config);
  for (const s of slots.keys()) if (s < slot) slots.delete(s);
  sendSlot(slot);
}

/** At most one slot ahead, so urgent sends never leave a gap longer than two intervals. */
function sendUrgent(): void {
  if (!config) return;
  const slot = currentSlot(config);
  if (!sendSlot(slot)) sendSlot(slot + 1);
}

function leave(msg: { datagram: Uint8Array; repeat: number; spacingMs: number }): void {
  clearInterval(timer);
  slots.clear();
  let sent = 0;
  const again = (): void => {
    sendAll(msg.datagram, peers);
    sent += 1;
    if (sent < msg.repeat) setTimeout(again, msg.spacingMs);
    else setTimeout(() => port?.postMessage({ type: 'left' } satisfies FromWorker), 5);
  };
  again();
}

port?.on('message', (msg: ToWorker) => {
  switch (msg.type) {
    case 'config':
      config = { intervalMs: msg.intervalMs, startMs: msg.startMs };
      timer = setInterval(tick, msg.intervalMs);
      tick();
      break;
    case 'peers':
      peers = msg.peers;
      if (msg.source?.address !== source?.address) {
        source = msg.source;
        closeSockets();
      }
      break;
    case 'slots':
      for (const [slot, datagram] of msg.slots) slots.set(slot, datagram);
      if (msg.urgent) sendUrgent();
      break;
    case 'send':
      for (const datagram of msg.datagrams) sendAll(datagram, msg.to);
      break;
    case 'leave':
      leave(msg);
      break;
    case 'stop':
      clearInterval(timer);
      closeSockets();
      port.close();
      break;
  }
});
