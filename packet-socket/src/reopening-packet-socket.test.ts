import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { PacketSocket, PacketSocketOptions, Result } from './packet-socket.js';
import { ReopeningPacketSocket } from './reopening-packet-socket.js';

/** A scripted opener: each call consumes the next outcome ('ok' or an errno code). */
function fakeOpener(outcomes: string[]): {
  open: (o: PacketSocketOptions) => Result<PacketSocket>;
  sockets: { options: PacketSocketOptions; joined: string[]; closed: boolean }[];
  attempts: () => number;
} {
  const sockets: { options: PacketSocketOptions; joined: string[]; closed: boolean }[] = [];
  let attempts = 0;
  const open = (options: PacketSocketOptions): Result<PacketSocket> => {
    const outcome = outcomes[attempts++] ?? 'ok';
    if (outcome !== 'ok') return { ok: false, error: outcome };
    const state = { options, joined: [] as string[], closed: false };
    sockets.push(state);
    const socket: PacketSocket = {
      interface: { name: 'eth0', ifindex: 2, mac: new Uint8Array(6), hwType: 1, up: true, running: true },
      receiveBuffer: {
        effectiveBytes: 425_984,
        requestedBytes: options.receiveBufferBytes ?? 0,
        forced: false,
      },
      get closed(): boolean {
        return state.closed;
      },
      send: () => 'ok',
      addMembership: (mac) => {
        state.joined.push(Buffer.from(mac).toString('hex'));
        return 'ok';
      },
      dropMembership: (mac) => {
        state.joined = state.joined.filter((m) => m !== Buffer.from(mac).toString('hex'));
        return 'ok';
      },
      close: () => {
        state.closed = true;
      },
    };
    return { ok: true, value: socket };
  };
  return { open, sockets, attempts: () => attempts };
}

const MAC = Uint8Array.from([0x33, 0x33, 0xff, 0, 1, 0]);

describe('ReopeningPacketSocket', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('retries with exponential backoff capped at maxBackoffMs, then resets', async () => {
    const fake = fakeOpener(['ENODEV', 'ENODEV', 'ENODEV', 'ENODEV', 'ok']);
    const downs: string[] = [];
    const s = new ReopeningPacketSocket({
      interface: 'eth0',
      kind: 'arp',
      onFrames: () => undefined,
      onDown: (e) => downs.push(e.code),
      initialBackoffMs: 100,
      maxBackoffMs: 300,
      open: fake.open,
    });
    expect(fake.attempts()).toBe(0); // the constructor does no work
    s.start(new AbortController().signal);
    expect(fake.attempts()).toBe(1);
    for (const [delay, attempts] of [
      [99, 1],
      [1, 2],
      [200, 3],
      [300, 4],
      [300, 5],
    ] as const) {
      await vi.advanceTimersByTimeAsync(delay);
      expect(fake.attempts()).toBe(attempts);
    }
    expect(s.socket).not.toBeNull();
    expect(downs).toEqual(['ENODEV', 'ENODEV', 'ENODEV', 'ENODEV']);
    fake.sockets[0]!.options.onError({ code: 'ENETDOWN', message: 'down' });
    expect(s.socket).toBeNull();
    expect(fake.sockets[0]!.closed).toBe(true);
    await vi.advanceTimersByTimeAsync(100); // backoff was reset by the successful open
    expect(fake.attempts()).toBe(6);
    s.stop();
  });

  it('asks every (re)open for the configured receive buffer', async () => {
    const fake = fakeOpener([]);
    const s = new ReopeningPacketSocket({
      interface: 'eth0',
      kind: 'ndp',
      receiveBufferBytes: 212_992,
      onFrames: () => undefined,
      initialBackoffMs: 10,
      open: fake.open,
    });
    s.start(new AbortController().signal);
    fake.sockets[0]!.options.onError({ code: 'ENETDOWN', message: 'down' });
    await vi.advanceTimersByTimeAsync(10);
    expect(fake.sockets.map((o) => o.options.receiveBufferBytes)).toEqual([212_992, 212_992]);
    s.stop();
  });

  it('re-applies reference-counted memberships on reopen', async () => {
    const fake = fakeOpener([]);
    const s = new ReopeningPacketSocket({
      interface: 'eth0',
      kind: 'ndp',
      onFrames: () => undefined,
      open: fake.open,
    });
    s.start(new AbortController().signal);
    s.addMembership(MAC);
    s.addMembership(MAC);
    expect(fake.sockets[0]!.joined).toEqual(['3333ff000100']);
    s.dropMembership(MAC);
    expect(fake.sockets[0]!.joined).toEqual(['3333ff000100']);
    fake.sockets[0]!.options.onError({ code: 'ENODEV', message: 'gone' });
    await vi.advanceTimersByTimeAsync(100);
    expect(fake.sockets[1]!.joined).toEqual(['3333ff000100']);
    s.dropMembership(MAC);
    expect(fake.sockets[1]!.joined).toEqual([]);
    expect(s.send(new Uint8Array(60))).toBe('ok');
    s.stop();
    expect(s.send(new Uint8Array(60))).toBe('closed');
  });

  it('abort closes the socket and cancels pending retries', async () => {
    const fake = fakeOpener(['ENODEV']);
    const abort = new AbortController();
    const s = new ReopeningPacketSocket({
      interface: 'eth0',
      kind: 'arp',
      onFrames: () => undefined,
      open: fake.open,
    });
    s.start(abort.signal);
    abort.abort();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(fake.attempts()).toBe(1);
    expect(s.socket).toBeNull();
  });
});
