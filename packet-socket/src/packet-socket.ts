import { nativeAddon, type NativeHandle } from './native.js';

/** Same shape as `Result` in @ironlb/shared (kept local: this package depends on nothing in the workspace). */
export type Result<T, E = string> = { ok: true; value: T } | { ok: false; error: E };

export type PacketKind = 'arp' | 'ndp';

/** 'ok', 'again' (EAGAIN: retry later), 'closed', or an errno code name such as 'ENETDOWN'. */
export type SendStatus = 'ok' | 'again' | 'closed' | (string & {});

export interface PacketSocketError {
  /** errno code name, e.g. 'ENETDOWN', 'ENODEV', 'ENXIO'. */
  code: string;
  message: string;
}

export interface InterfaceInfo {
  name: string;
  ifindex: number;
  /** 6 bytes for Ethernet (hwType 1). */
  mac: Uint8Array;
  hwType: number;
  /** IFF_UP: administratively up. */
  up: boolean;
  /** IFF_RUNNING: operationally up (carrier). */
  running: boolean;
}

/** Asked for when no receiveBufferBytes is given. */
export const DEFAULT_RECEIVE_BUFFER_BYTES = 4 * 1024 * 1024;

/**
 * The socket's receive buffer. The kernel grants SO_RCVBUFFORCE (CAP_NET_ADMIN) in full and caps SO_RCVBUF
 * (CAP_NET_RAW alone) at net.core.rmem_max; either way it doubles the grant and reports the doubled value.
 */
export interface ReceiveBuffer {
  /** What getsockopt(SO_RCVBUF) says: 2 × min(requested, rmem_max) unless forced, then 2 × requested. */
  effectiveBytes: number;
  requestedBytes: number;
  /** true: SO_RCVBUFFORCE was allowed; false: SO_RCVBUF, capped at net.core.rmem_max. */
  forced: boolean;
}

export interface PacketSocketOptions {
  interface: string;
  kind: PacketKind;
  /** Receive buffer to ask for, 1 B..1 GiB (default DEFAULT_RECEIVE_BUFFER_BYTES). */
  receiveBufferBytes?: number;
  /** Called once per readiness event with up to 256 frames (Ethernet header included, never our own). */
  onFrames: (frames: Buffer[]) => void;
  /** Called at most once per socket when it stops working (interface down or gone); then close it. */
  onError: (error: PacketSocketError) => void;
}

export interface PacketSocket {
  readonly interface: InterfaceInfo;
  /** Read back once, right after the socket was opened. */
  readonly receiveBuffer: ReceiveBuffer;
  readonly closed: boolean;
  send(frame: Uint8Array): SendStatus;
  addMembership(mac: Uint8Array): SendStatus;
  dropMembership(mac: Uint8Array): SendStatus;
  /** Idempotent. No callback runs after close() returns. */
  close(): void;
}

/** errno codes meaning the interface went down or away: the socket must be reopened. */
export const INTERFACE_GONE_CODES: ReadonlySet<string> = new Set(['ENETDOWN', 'ENODEV', 'ENXIO']);

export function interfaceInfo(name: string): Result<InterfaceInfo> {
  const info = nativeAddon().interfaceInfo(name);
  if (typeof info === 'string') return { ok: false, error: info };
  return { ok: true, value: { name, ...info, mac: new Uint8Array(info.mac) } };
}

/** Opens an AF_PACKET socket on an up Ethernet interface; errors are errno code names. */
export function openPacketSocket(options: PacketSocketOptions): Result<PacketSocket> {
  const requestedBytes = options.receiveBufferBytes ?? DEFAULT_RECEIVE_BUFFER_BYTES;
  if (!Number.isInteger(requestedBytes) || requestedBytes < 1 || requestedBytes > 1024 ** 3) {
    throw new RangeError(`receiveBufferBytes must be an integer in 1..${1024 ** 3}, got ${requestedBytes}`);
  }
  const info = interfaceInfo(options.interface);
  if (!info.ok) return info;
  if (info.value.hwType !== 1) return { ok: false, error: 'EPFNOSUPPORT' };
  if (!info.value.up) return { ok: false, error: 'ENETDOWN' };
  const addon = nativeAddon();
  let closed = false;
  let reported = false;
  // Invariant: onError is delivered at most once and never after close().
  const report = (error: PacketSocketError): void => {
    if (closed || reported) return;
    reported = true;
    options.onError(error);
  };
  const handle = addon.open(
    info.value.ifindex,
    options.kind,
    (frames) => {
      if (!closed) options.onFrames(frames);
    },
    (code, message) => {
      report({ code, message });
    },
    requestedBytes,
  );
  if (typeof handle === 'string') return { ok: false, error: handle };
  const buffer = addon.receiveBuffer(handle);
  if (typeof buffer === 'string') {
    closed = true;
    addon.close(handle);
    return { ok: false, error: buffer };
  }
  const receiveBuffer: ReceiveBuffer = {
    effectiveBytes: buffer.bytes,
    requestedBytes: buffer.requested,
    forced: buffer.forced,
  };
  const checked = (status: string): SendStatus => {
    if (INTERFACE_GONE_CODES.has(status)) {
      queueMicrotask(() => {
        report({ code: status, message: `send on ${options.interface}: ${status}` });
      });
    }
    return status;
  };
  const guarded = (fn: (h: NativeHandle) => string): SendStatus => (closed ? 'closed' : checked(fn(handle)));
  return {
    ok: true,
    value: {
      interface: info.value,
      receiveBuffer,
      get closed(): boolean {
        return closed;
      },
      send: (frame) => guarded((h) => addon.send(h, frame)),
      addMembership: (mac) => guarded((h) => addon.addMembership(h, mac)),
      dropMembership: (mac) => guarded((h) => addon.dropMembership(h, mac)),
      close: (): void => {
        if (closed) return;
        closed = true;
        addon.close(handle);
      },
    },
  };
}
