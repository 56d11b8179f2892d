import { readFile } from 'node:fs/promises';
import { err, ok, type Result } from '@ironlb/shared';
import { sleep } from '@ironlb/shared/kube';
import type { Logger } from 'pino';

export interface KeyFileOptions {
  /** The mounted Secret's key file (the chart: /etc/ironlb/membership/secretKey). */
  readonly path: string;
  readonly logger: Logger;
  /** Pause between reads while the file is missing or empty (default 1 s). */
  readonly pollMs?: number;
  /** A "still waiting" line at most this often (default 15 s); the first one is logged at once. */
  readonly logEveryMs?: number;
}

/** The key text (trimmed), null when `signal` aborted first, or why the file cannot be read. */
export type KeyFileResult = Result<string | null>;

/** undefined: not there yet (missing or empty); else the text, or the read error. */
async function readOnce(path: string): Promise<Result<string | undefined>> {
  try {
    const text = (await readFile(path, 'utf8')).trim();
    return ok(text === '' ? undefined : text);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return ok(undefined);
    return err(`cannot read the membership key file ${path}: ${(error as Error).message}`);
  }
}

/**
 * Waits until the membership key file exists and is not empty, then returns its text.
 * Why waiting is normal: the chart mounts the Secret with `optional: true` and the controller creates it at
 * its first start; until then the kubelet mounts an empty volume and fills it on a later pod sync (usually
 * within a minute). Invariants: never returns an empty key; a missing or empty file is waited for (with a
 * log line at once and then every `logEveryMs`), any other read error (permissions, a directory) is returned.
 */
export async function waitForKeyFile(o: KeyFileOptions, signal: AbortSignal): Promise<KeyFileResult> {
  const started = performance.now();
  let lastLog = -Infinity;
  while (!signal.aborted) {
    const read = await readOnce(o.path);
    if (!read.ok) return read;
    if (read.value !== undefined) {
      if (lastLog !== -Infinity) o.logger.info({ path: o.path }, 'membership key file appeared');
      return ok(read.value);
    }
    const now = performance.now();
    if (now - lastLog >= (o.logEveryMs ?? 15_000)) {
      lastLog = now;
      o.logger.warn(
        { path: o.path, waitedSeconds: Math.round((now - started) / 1000) },
        'waiting for the membership key file (the controller creates the Secret, the kubelet then fills the volume)',
      );
    }
    await sleep(o.pollMs ?? 1_000, signal);
  }
  return ok(null);
}
