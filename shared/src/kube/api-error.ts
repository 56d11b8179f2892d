import { ApiException } from '@kubernetes/client-node';

/** HTTP status of a failed API call (ApiException.code, or `statusCode` from Watch), else undefined. */
export function apiStatusCode(error: unknown): number | undefined {
  if (error instanceof ApiException) return error.code;
  if (typeof error === 'object' && error !== null) {
    const e = error as { code?: unknown; statusCode?: unknown };
    if (typeof e.statusCode === 'number') return e.statusCode;
    if (typeof e.code === 'number') return e.code;
  }
  return undefined;
}

/** A short, log-safe description of a failed call (ApiException.message embeds body + headers). */
export function describeApiError(error: unknown): string {
  const code = apiStatusCode(error);
  if (error instanceof ApiException) {
    const body = typeof error.body === 'string' ? error.body : JSON.stringify(error.body);
    let message = body;
    try {
      const parsed = JSON.parse(body) as { message?: unknown };
      if (typeof parsed.message === 'string') message = parsed.message;
    } catch {
      // body was not JSON; keep it verbatim
    }
    return `HTTP ${code}: ${message.slice(0, 300)}`;
  }
  if (error instanceof Error) return code === undefined ? error.message : `HTTP ${code}: ${error.message}`;
  return String(error);
}
