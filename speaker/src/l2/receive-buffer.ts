import type { ReceiveBuffer } from '@ironlb/packet-socket';

/**
 * Receive buffer each ARP / NDP socket asks for. A 60-byte ARP request costs about 832 bytes of it on a veth
 * (the kernel accounts the whole socket buffer, not the frame; measured on Linux 6.18): granted in full, the
 * kernel doubles 4 MiB to 8 MiB, which holds about 10,000 requests, half a second of 20k requests/s while the
 * event loop is busy. Capped by the Linux default net.core.rmem_max (212992) it holds about 512, 25 ms.
 */
export const PACKET_RECEIVE_BUFFER_BYTES = 4 * 1024 * 1024;

/** The sysctl that caps the buffer of a speaker with CAP_NET_RAW alone (no CAP_NET_ADMIN). */
const RMEM_MAX_SYSCTL = 'net.core.rmem_max';

/**
 * Whether the socket got less than it asked for: the kernel reports twice what it granted, so a full grant
 * reads 2 × requested; without CAP_NET_ADMIN it granted min(requested, rmem_max).
 */
export function receiveBufferShort(buffer: ReceiveBuffer): boolean {
  return buffer.effectiveBytes < 2 * buffer.requestedBytes;
}

/** The warning for a short buffer: what the socket got, what it wanted, and the sysctl value that fixes it. */
export function shortReceiveBufferMessage(buffer: ReceiveBuffer): string {
  return (
    `packet socket receive buffer is ${buffer.effectiveBytes} bytes, below the ${2 * buffer.requestedBytes} ` +
    `wanted for bursts of ARP/NDP requests (frames are dropped when it is full): the kernel caps it at ` +
    `2 × ${RMEM_MAX_SYSCTL}; set ${RMEM_MAX_SYSCTL}=${buffer.requestedBytes} or more on the node ` +
    `(sysctl -w ${RMEM_MAX_SYSCTL}=${buffer.requestedBytes})`
  );
}
