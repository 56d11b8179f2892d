/** One event of a Kubernetes watch stream (`?watch=true`): one JSON object per line. */
export interface WatchEvent {
  readonly type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  /** The object; for ERROR a `Status` (`code` 410 = the resourceVersion is too old). */
  readonly object: WatchObject;
}

export interface WatchObject {
  readonly metadata?: {
    readonly resourceVersion?: string;
    readonly name?: string;
    readonly namespace?: string;
  };
  /** Status code, only in ERROR events. */
  readonly code?: number;
  readonly message?: string;
}

const TYPES = new Set(['ADDED', 'MODIFIED', 'DELETED', 'BOOKMARK', 'ERROR']);

/** A line that is not a watch event: the stream is corrupt and events may have been lost. */
export class WatchDecodeError extends Error {
  override readonly name = 'WatchDecodeError';
}

function decodeLine(line: string): WatchEvent {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    throw new WatchDecodeError(`watch stream: not JSON: ${line.slice(0, 120)}`);
  }
  const e = parsed as { type?: unknown; object?: unknown };
  if (typeof e.type !== 'string' || !TYPES.has(e.type) || typeof e.object !== 'object' || e.object === null)
    throw new WatchDecodeError(`watch stream: not a watch event: ${line.slice(0, 120)}`);
  return parsed as WatchEvent;
}

/**
 * Splits the bytes of a watch response into events. Invariants: an event is returned once its line is
 * complete, whatever the chunk boundaries (inside a line or inside a multi-byte UTF-8 character); empty
 * lines are skipped; a line that is not a watch event throws WatchDecodeError.
 */
export class WatchDecoder {
  readonly #utf8 = new TextDecoder('utf-8', { fatal: false });
  #partial = '';

  /** Events completed by `chunk`. */
  push(chunk: Uint8Array): WatchEvent[] {
    const text = this.#partial + this.#utf8.decode(chunk, { stream: true });
    const lines = text.split('\n');
    this.#partial = lines.pop() ?? '';
    return lines.filter((l) => l.trim() !== '').map(decodeLine);
  }

  /** At end of stream: the last line if it had no newline. */
  end(): WatchEvent[] {
    const rest = (this.#partial + this.#utf8.decode()).trim();
    this.#partial = '';
    return rest === '' ? [] : [decodeLine(rest)];
  }
}
