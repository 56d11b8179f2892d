import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { requiredEnv } from './env.js';

/**
 * A deliberately tiny Kubernetes REST client for the stand-ins (loading @kubernetes/client-node costs about a second
 * of CPU per process; six of them at once slowed `lab up` noticeably). Client-certificate auth only.
 *
 * Environment: API_SERVER (https URL), CA_FILE, CERT_FILE, KEY_FILE.
 */
export interface ApiResponse {
  readonly status: number;
  readonly body: unknown;
}

export interface ApiClient {
  /** One request; JSON in and out. Never rejects on an HTTP status, only on transport errors. */
  readonly call: (options: {
    method: string;
    path: string;
    body?: unknown;
    contentType?: string;
  }) => Promise<ApiResponse>;
  /** Streams a watch; `onEvent` gets each decoded event; resolves when the server closes or the request fails. */
  readonly watch: (
    path: string,
    onEvent: (event: { type: string; object: unknown }) => void,
  ) => Promise<void>;
}

export function apiClientFromEnv(): ApiClient {
  const server = new URL(requiredEnv('API_SERVER'));
  const agent = new Agent({
    keepAlive: true,
    maxSockets: 4,
    ca: readFileSync(requiredEnv('CA_FILE')),
    cert: readFileSync(requiredEnv('CERT_FILE')),
    key: readFileSync(requiredEnv('KEY_FILE')),
  });
  const base = { hostname: server.hostname.replace(/^\[|\]$/g, ''), port: server.port, agent };

  const call: ApiClient['call'] = (options) =>
    new Promise((resolvePromise, reject) => {
      const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
      const headers: Record<string, string> = { accept: 'application/json' };
      if (payload !== undefined) headers['content-type'] = options.contentType ?? 'application/json';
      const req = request(
        { ...base, method: options.method, path: options.path, headers, timeout: 10_000 },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let body: unknown = text;
            try {
              body = JSON.parse(text);
            } catch {
              // Non-JSON error bodies stay text.
            }
            resolvePromise({ status: res.statusCode ?? 0, body });
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error(`timeout: ${options.method} ${options.path}`)));
      req.on('error', reject);
      req.end(payload);
    });

  const watch: ApiClient['watch'] = (path, onEvent) =>
    new Promise((resolvePromise) => {
      const req = request(
        { ...base, method: 'GET', path, headers: { accept: 'application/json' } },
        (res) => {
          let buffer = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            buffer += chunk;
            let nl: number;
            while ((nl = buffer.indexOf('\n')) >= 0) {
              const line = buffer.slice(0, nl).trim();
              buffer = buffer.slice(nl + 1);
              if (line) onEvent(JSON.parse(line) as { type: string; object: unknown });
            }
          });
          res.on('end', () => {
            resolvePromise();
          });
          res.on('error', () => {
            resolvePromise();
          });
        },
      );
      req.on('error', () => {
        resolvePromise();
      });
      req.end();
    });

  return { call, watch };
}

/** Throws unless the status is 2xx or one of `allowed` (e.g. 409 for "already exists"). */
export function expectOk(response: ApiResponse, what: string, allowed: readonly number[] = []): void {
  if ((response.status >= 200 && response.status < 300) || allowed.includes(response.status)) return;
  const detail =
    typeof response.body === 'object' && response.body !== null
      ? JSON.stringify(response.body)
      : response.body;
  throw new Error(`${what}: HTTP ${response.status}: ${String(detail).slice(0, 300)}`);
}
