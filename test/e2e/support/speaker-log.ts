/**
 * Reading a speaker's pino log in tests. The L2 announcer logs `announcing`, `withdrawn` and `reasserting after a
 * co-claimer withdrew` once per change, with up to 64 IPs per line in `ips` (speaker/src/l2/interface-announcer.ts).
 */

/** The fields of a pino line these tests read. */
export interface SpeakerLogEntry {
  readonly msg?: string;
  /** ISO 8601 (the shared logger's timestamp). */
  readonly time?: string;
  readonly ips?: readonly string[];
}

/** The first line of `log` with message `msg` listing `ip`, or null; lines that are not JSON are skipped. */
export function firstLoggedFor(log: string, msg: string, ip: string): SpeakerLogEntry | null {
  for (const line of log.split('\n')) {
    if (!line.includes(`"${msg}"`) || !line.includes(`"${ip}"`)) continue;
    let entry: SpeakerLogEntry;
    try {
      entry = JSON.parse(line) as SpeakerLogEntry;
    } catch {
      continue;
    }
    if (entry.msg === msg && entry.ips?.includes(ip) === true) return entry;
  }
  return null;
}
