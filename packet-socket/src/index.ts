export {
  DEFAULT_RECEIVE_BUFFER_BYTES,
  INTERFACE_GONE_CODES,
  interfaceInfo,
  openPacketSocket,
  type InterfaceInfo,
  type PacketKind,
  type PacketSocket,
  type PacketSocketError,
  type PacketSocketOptions,
  type ReceiveBuffer,
  type Result,
  type SendStatus,
} from './packet-socket.js';
export { ReopeningPacketSocket, type ReopeningPacketSocketOptions } from './reopening-packet-socket.js';
export {
  startHeartbeatThread,
  type Destination,
  type HeartbeatThread,
  type HeartbeatThreadOptions,
  type HeartbeatThreadStats,
} from './heartbeat-thread.js';
