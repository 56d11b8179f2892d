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
