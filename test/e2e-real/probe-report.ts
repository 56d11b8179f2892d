/**
 * What a client saw during a disruption, from the client probe's samples (one new HTTP connection per attempt):
 * how many attempts started in the window, how many failed (no answer / no TCP handshake), and the longest time
 * without an answer. Attempts run concurrently, so "time without an answer" is measured between the start times of
 * consecutive answered attempts, including the window's edges.
 */
import type { ProbeSample } from '../e2e/support/index.js';

export interface ProbeReport {
  readonly attempts: number;
  /** Attempts without an HTTP answer (includes `connectFailed`). */
  readonly failed: number;
  /** Attempts whose TCP handshake did not complete. */
  readonly connectFailed: number;
  /** Longest interval in [from, to] with no answered attempt starting in it. */
  readonly longestGapMs: number;
}

export function probeReport(
  samples: readonly ProbeSample[],
  window: { from: number; to: number },
): ProbeReport {
  const inWindow = samples.filter((s) => s.t >= window.from && s.t < window.to);
  const answered = inWindow
    .filter((s) => s.node !== null)
    .map((s) => s.t)
    .sort((a, b) => a - b);
  const edges = [window.from, ...answered, window.to];
  let longestGapMs = 0;
  for (let i = 1; i < edges.length; i++) {
    longestGapMs = Math.max(longestGapMs, (edges[i] ?? 0) - (edges[i - 1] ?? 0));
  }
  return {
    attempts: inWindow.length,
    failed: inWindow.filter((s) => s.node === null).length,
    connectFailed: inWindow.filter((s) => !s.connected).length,
    longestGapMs,
  };
}

export function describeReport(r: ProbeReport): string {
  return (
    `${r.failed} of ${r.attempts} client attempts failed (${r.connectFailed} without a TCP handshake); ` +
    `longest time without an answer ${r.longestGapMs} ms`
  );
}
