import { type IPAddress, formatIP, parseIP } from '@ironlb/shared';

/**
 * Byte-level helpers of the packet codec. On the wire, addresses are Uint8Array: 6 bytes (MAC), 4 bytes
 * (IPv4) or 16 bytes (IPv6). IP text is parsed and formatted by shared/src/ip only (one vocabulary): the
 * helpers here convert between its IPAddress and wire bytes. Parsers return null on malformed input;
 * formatters never fail.
 */

export const BROADCAST_MAC: Uint8Array = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
export const ZERO_MAC: Uint8Array = new Uint8Array(6);
export const IPV4_ANY: Uint8Array = new Uint8Array(4);
export const IPV6_UNSPECIFIED: Uint8Array = new Uint8Array(16);
/** ff02::1, all-nodes link-local multicast. */
export const IPV6_ALL_NODES: Uint8Array = Uint8Array.from([0xff, 0x02, ...new Array<number>(13).fill(0), 1]);

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function isAllZero(a: Uint8Array): boolean {
  return a.every((b) => b === 0);
}

const MAC_TEXT = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i;

/** "aa:bb:cc:dd:ee:ff" (colon separated, any case) to 6 bytes; null for anything else. */
export function parseMac(text: string): Uint8Array | null {
  if (!MAC_TEXT.test(text)) return null;
  return Uint8Array.from(text.split(':'), (p) => parseInt(p, 16));
}

/** Lower-case, colon separated. */
export function formatMac(mac: Uint8Array): string {
  return Array.from(mac, (b) => b.toString(16).padStart(2, '0')).join(':');
}

/** Wire form of an address: 4 bytes for IPv4, 16 for IPv6, network byte order. */
export function ipToBytes(address: IPAddress): Uint8Array {
  const out = new Uint8Array(address.family === 'IPv4' ? 4 : 16);
  let v = address.value;
  for (let i = out.length - 1; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

/** The address held in wire bytes; null unless there are exactly 4 (IPv4) or 16 (IPv6). */
export function ipFromBytes(bytes: Uint8Array): IPAddress | null {
  if (bytes.length !== 4 && bytes.length !== 16) return null;
  let value = 0n;
  for (const b of bytes) value = (value << 8n) | BigInt(b);
  return { family: bytes.length === 4 ? 'IPv4' : 'IPv6', value };
}

/** Text (the shared parser's rules) to wire bytes; null when the text is not an IP. */
export function ipTextToBytes(text: string): Uint8Array | null {
  const address = parseIP(text);
  return address === undefined ? null : ipToBytes(address);
}

/** Wire bytes to canonical text (the shared formatter); bytes that are not 4 or 16 long show as hex. */
export function ipBytesToText(bytes: Uint8Array): string {
  const address = ipFromBytes(bytes);
  return address === null ? `<${bytes.length} bytes ${formatHex(bytes)}>` : formatIP(address);
}

function formatHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}
