/**
 * Parsing of /proc/<pid>/status and /proc/<pid>/stat (Linux, proc(5)). Pure: text in, numbers out.
 * Invariant: a field that is missing or not a number gives undefined, never NaN or 0.
 */

/** A `Name:   1234 kB` line of /proc/<pid>/status, in KiB (VmRSS, VmHWM, RssAnon, ...). */
export function statusKiB(statusText: string, field: string): number | undefined {
  if (!/^[A-Za-z_]+$/.test(field)) throw new RangeError(`statusKiB: bad field name ${JSON.stringify(field)}`);
  const m = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(statusText);
  return m?.[1] === undefined ? undefined : Number(m[1]);
}

/** User and system CPU time of a process in clock ticks (fields 14 and 15 of /proc/<pid>/stat). */
export interface CpuTicks {
  readonly utime: number;
  readonly stime: number;
}

/**
 * The command name (field 2) is in parentheses and may itself contain spaces and ')', so the fields are
 * counted from the last ')'.
 */
export function statCpuTicks(statText: string): CpuTicks | undefined {
  const close = statText.lastIndexOf(')');
  if (close < 0) return undefined;
  // After ')': field 3 (state) is index 0, so utime (14) is index 11 and stime (15) index 12.
  const rest = statText
    .slice(close + 1)
    .trim()
    .split(/\s+/);
  const utime = rest[11];
  const stime = rest[12];
  if (utime === undefined || stime === undefined || !/^\d+$/.test(utime) || !/^\d+$/.test(stime))
    return undefined;
  return { utime: Number(utime), stime: Number(stime) };
}

/** CPU seconds spent between two readings of the same process. */
export function cpuSecondsBetween(before: CpuTicks, after: CpuTicks, ticksPerSecond: number): number {
  if (!(ticksPerSecond > 0))
    throw new RangeError(`cpuSecondsBetween: ticksPerSecond must be > 0, got ${ticksPerSecond}`);
  return (after.utime + after.stime - before.utime - before.stime) / ticksPerSecond;
}
