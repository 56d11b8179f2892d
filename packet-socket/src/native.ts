import { createRequire } from 'node:module';

/** The raw addon surface (native/packet_socket.c). Expected failures come back as errno code strings. */
export interface NativeInterfaceInfo {
  ifindex: number;
  mac: Buffer;
  hwType: number;
  up: boolean;
  running: boolean;
}

/** Opaque handle owned by the addon; only ever passed back to it. */
export type NativeHandle = object & { readonly __nativePacketSocket?: never };

/** getsockopt(SO_RCVBUF) after open, and how it was asked for. */
export interface NativeReceiveBuffer {
  bytes: number;
  requested: number;
  forced: boolean;
}

/** Opaque handle of a heartbeat sending thread (native/heartbeat_sender.c). */
export type NativeHeartbeatHandle = object & { readonly __nativeHeartbeat?: never };

/** [address, port]: a numeric IPv4 or IPv6 address. */
export type NativeDestination = [string, number];

export interface NativeHeartbeatStats {
  heartbeats: number;
  datagrams: number;
  errors: number;
  lastError?: string;
  bindError?: string;
  bindAddress?: string;
  running: boolean;
}

export interface NativeAddon {
  open(
    ifindex: number,
    kind: 'arp' | 'ndp',
    onFrames: (frames: Buffer[]) => void,
    onError: (code: string, message: string) => void,
    rcvbufBytes?: number,
  ): NativeHandle | string;
  receiveBuffer(handle: NativeHandle): NativeReceiveBuffer | string;
  send(handle: NativeHandle, frame: Uint8Array): string;
  addMembership(handle: NativeHandle, mac: Uint8Array): string;
  dropMembership(handle: NativeHandle, mac: Uint8Array): string;
  close(handle: NativeHandle): void;
  interfaceInfo(name: string): NativeInterfaceInfo | string;
  heartbeatOpen(startMs: number, intervalMs: number, capacity: number): NativeHeartbeatHandle | string;
  heartbeatPeers(handle: NativeHeartbeatHandle, peers: NativeDestination[], source: string | undefined): void;
  heartbeatSlots(
    handle: NativeHeartbeatHandle,
    slots: number[],
    datagrams: Uint8Array[],
    urgent: boolean,
  ): void;
  heartbeatSend(handle: NativeHeartbeatHandle, datagrams: Uint8Array[], to: NativeDestination[]): void;
  heartbeatClear(handle: NativeHeartbeatHandle): void;
  heartbeatStats(handle: NativeHeartbeatHandle): NativeHeartbeatStats;
  heartbeatStop(handle: NativeHeartbeatHandle): void;
}

let cached: NativeAddon | undefined;

/** Loads build/Release/packet_socket.node once; src/ and dist/ are both one level below the package root. */
export function nativeAddon(): NativeAddon {
  if (cached === undefined) {
    const require = createRequire(import.meta.url);
    cached = require('../build/Release/packet_socket.node') as NativeAddon;
  }
  return cached;
}
