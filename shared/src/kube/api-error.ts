/**
 * A Kubernetes API call the server answered with a non-2xx status. `body` is the response text
 * (usually a `Status` object as JSON); the message never contains request or response headers.
 */
export class KubeApiError extends Error {
  override readonly name = 'KubeApiError';
  readonly code: number;
  readonly body: string;

  constructor(code: number, body: string, what: string) {
    super(`HTTP ${code} from ${what}: ${statusMessage(body).slice(0, 300)}`);
    this.code = code;
    this.body = body;
  }
}

/** The `message` of a Status body, else the body text itself. */
function statusMessage(body: string): string {
  try {
    const parsed = JSON.parse(body) as { message?: unknown };
    if (typeof parsed.message === 'string') return parsed.message;
  } catch {
    // body was not JSON; keep it verbatim
  }
  return body;
}

/**
 * HTTP status of a failed API call: `code` of a KubeApiError (or any error carrying a numeric
 * `code`, e.g. test doubles), `statusCode` of a watch error; undefined when no response arrived.
 */
export function apiStatusCode(error: unknown): number | undefined {
  if (typeof error === 'object' && error !== null) {
    const e = error as { code?: unknown; statusCode?: unknown };
    if (typeof e.statusCode === 'number') return e.statusCode;
    if (typeof e.code === 'number') return e.code;
  }
  return undefined;
}

/** A short, log-safe description of a failed call: `HTTP <code>: <Status message>`, or the error's message. */
export function describeApiError(error: unknown): string {
  const code = apiStatusCode(error);
  const body = typeof error === 'object' && error !== null ? (error as { body?: unknown }).body : undefined;
  if (code !== undefined && body !== undefined) {
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    return `HTTP ${code}: ${statusMessage(text).slice(0, 300)}`;
  }
  if (error instanceof Error) return code === undefined ? error.message : `HTTP ${code}: ${error.message}`;
  return String(error);
}
