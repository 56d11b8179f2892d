/**
 * Why a Service has no (complete) address. `reason` is a stable code (metrics label, event reason
 * suffix); `message` is for people. kind 'ignore': not ours, the shell only debug-logs; kind 'event':
 * the shell emits a Warning `AllocationFailed` (or `InvalidAnnotation`) event with the message.
 */
export type PendingReasonCode =
  | 'NotLoadBalancer'
  | 'ClassNotOurs'
  | 'InvalidAnnotation'
  | 'NoPools'
  | 'PoolNotFound'
  | 'PoolNotServing'
  | 'NoPoolForFamily'
  | 'IPNotInPool'
  | 'IPPoolNotServing'
  | 'IPAvoided'
  | 'IPInUse'
  | 'NoPoolServes'
  | 'PoolNotReady'
  | 'PoolsExhausted'
  | 'Unexplained';

export interface PendingReason {
  readonly kind: 'ignore' | 'event';
  readonly reason: PendingReasonCode;
  readonly message: string;
}

export function eventReason(reason: PendingReasonCode, message: string): PendingReason {
  return { kind: 'event', reason, message };
}
