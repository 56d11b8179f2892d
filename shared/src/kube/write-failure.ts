import { err, ok, type Result } from '../types/result.js';
import { apiStatusCode, describeApiError } from './api-error.js';

/**
 * Why a write (status, annotation, pool status, node annotation) did not happen; every write
 * helper returns this one union. 'conflict' (409) = the object moved past the resourceVersion we
 * sent: re-read and retry; 'not-found' (404) = the object is gone: nothing left to write;
 * 'error' = anything else (5xx, 4xx, network failure, not leading any more): retry later.
 */
export interface WriteFailure {
  readonly kind: 'conflict' | 'not-found' | 'error';
  /** HTTP status, undefined when no response arrived (network error) or the write never started. */
  readonly code: number | undefined;
  /** Log-safe description (never the response headers). */
  readonly message: string;
}

/** Maps a thrown API error (ApiException, Watch error, network error) to a WriteFailure. */
export function writeFailure(error: unknown): WriteFailure {
  const code = apiStatusCode(error);
  const kind = code === 409 ? 'conflict' : code === 404 ? 'not-found' : 'error';
  return { kind, code, message: describeApiError(error) };
}

/** Runs one API write; its result, or its failure as a value (the one place API errors are mapped). */
export async function attemptWrite<T>(write: () => Promise<T>): Promise<Result<T, WriteFailure>> {
  try {
    return ok(await write());
  } catch (error) {
    return err(writeFailure(error));
  }
}
