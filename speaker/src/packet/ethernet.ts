/** Ethernet II framing. Frames from AF_PACKET SOCK_RAW start with the 14-byte header (no FCS, no 802.1Q tag). */

export const ETHERTYPE_ARP = 0x0806;
export const ETHERTYPE_IPV6 = 0x86dd;
export const ETHERNET_HEADER_LENGTH = 14;
/** Minimum frame length without FCS; shorter frames are zero-padded on encode. */
const ETHERNET_MIN_FRAME = 60;

export interface EthernetHeader {
  dst: Uint8Array;
  src: Uint8Array;
  etherType: number;
}

export function decodeEthernet(frame: Uint8Array): EthernetHeader | null {
  if (frame.length < ETHERNET_HEADER_LENGTH) return null;
  return {
    dst: frame.slice(0, 6),
    src: frame.slice(6, 12),
    etherType: ((frame[12] ?? 0) << 8) | (frame[13] ?? 0),
  };
}

/** Allocates a frame of max(14 + payloadLength, 60) bytes with the header written; payload starts at 14. */
export function newFrame(header: EthernetHeader, payloadLength: number): Uint8Array {
  const frame = new Uint8Array(Math.max(ETHERNET_HEADER_LENGTH + payloadLength, ETHERNET_MIN_FRAME));
  frame.set(header.dst, 0);
  frame.set(header.src, 6);
  frame[12] = header.etherType >> 8;
  frame[13] = header.etherType & 0xff;
  return frame;
}
