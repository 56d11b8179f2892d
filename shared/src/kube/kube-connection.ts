import { Agent as HttpAgent, type IncomingMessage, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { KubeApiError } from './api-error.js';
import { Credentials } from './credentials.js';
import type { KubeAccess } from './kube-config.js';

export interface KubeConnectionOptions {
  readonly access: KubeAccess;
  /** Socket bound for ordinary API calls (default 8); more concurrent calls queue. */
  readonly maxSockets?: number;
  /** Socket bound for watches (default 32): one socket per running watch. */
  readonly maxWatchSockets?: number;
  /** Idle keep-alive time of a pooled socket in ms (default 60 s, below kube-apiserver's 90 s). */
  readonly keepAliveMs?: number;
  /** An ordinary call with no answer after this long fails (default 60 s). Watches have their own idle limit. */
  readonly requestTimeoutMs?: number;
  /** Token file re-read interval (default 60 s). */
  readonly tokenRefreshMs?: number;
}

export type Query = Readonly<Record<string, string | number | boolean | undefined>>;

/** The streaming body of an open watch; `destroy()` ends it. */
export type WatchBody = AsyncIterable<Uint8Array> & { destroy(): void };

export interface ApiRequest {
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Absolute API path, e.g. `/api/v1/namespaces/a/services/b/status`; segments already encoded. */
  readonly path: string;
  readonly query?: Query;
  /** Sent as JSON. */
  readonly body?: unknown;
  /** Default `application/json` (patches: the patch type). */
  readonly contentType?: string;
  readonly signal?: AbortSignal;
}

/** `path?query` with undefined values left out. */
function requestPath(path: string, query: Query | undefined): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) params.set(k, String(v));
  const qs = params.toString();
  return qs === '' ? path : `${path}?${qs}`;
}

type Agent = HttpAgent | HttpsAgent;

function countSockets(agent: Agent): number {
  const sum = (m: NodeJS.ReadOnlyDict<unknown[]>): number =>
    Object.values(m).reduce((n, list) => n + (list?.length ?? 0), 0);
  return sum(agent.sockets) + sum(agent.freeSockets);
}

async function readBody(res: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of res) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * The HTTP side of the Kubernetes client: node:http(s) keep-alive pools with the kubeconfig's TLS material
 * and credentials. Invariants: every call goes through one of two pools, a bounded one for ordinary calls
 * and a separate one for watches (an HTTP/1.1 watch holds its socket for minutes, so watches can never
 * starve ordinary calls or be starved by them); a connection is reused across calls (one TLS handshake per
 * socket, not per call); a non-2xx answer is a KubeApiError carrying status and body, never a resolved value.
 */
export class KubeConnection {
  /** `https://host:port` of the API server. */
  readonly server: string;
  readonly #url: URL;
  readonly #requests: Agent;
  readonly #watches: Agent;
  readonly #credentials: Credentials;
  readonly #timeoutMs: number;
  readonly #inFlight = new Set<Promise<unknown>>();

  constructor(options: KubeConnectionOptions) {
    this.server = options.access.server;
    this.#url = new URL(options.access.server);
    const keepAlive = {
      keepAlive: true,
      timeout: options.keepAliveMs ?? 60_000,
      scheduling: 'lifo',
    } as const;
    const make = (maxSockets: number): Agent =>
      this.#url.protocol === 'https:'
        ? new HttpsAgent({ ...keepAlive, ...options.access.tls, maxSockets, maxFreeSockets: maxSockets })
        : new HttpAgent({ ...keepAlive, maxSockets, maxFreeSockets: maxSockets });
    this.#requests = make(options.maxSockets ?? 8);
    this.#watches = make(options.maxWatchSockets ?? 32);
    this.#credentials = new Credentials({
      auth: options.access.auth,
      ...(options.tokenRefreshMs !== undefined && { refreshMs: options.tokenRefreshMs }),
    });
    this.#timeoutMs = options.requestTimeoutMs ?? 60_000;
  }

  /** One call; the raw status and body (never rejects for an HTTP status, only for no answer). */
  async send(req: ApiRequest): Promise<{ status: number; body: string }> {
    const signal = AbortSignal.any([
      AbortSignal.timeout(this.#timeoutMs),
      ...(req.signal ? [req.signal] : []),
    ]);
    const call = this.#open({ req: { ...req, signal }, agent: this.#requests }).then(async (res) => ({
      status: res.statusCode ?? 0,
      body: await readBody(res),
    }));
    this.#inFlight.add(call);
    try {
      return await call;
    } finally {
      this.#inFlight.delete(call);
    }
  }

  /** One call whose 2xx answer is JSON; any other status throws KubeApiError. */
  async request<T>(req: ApiRequest): Promise<T> {
    const { status, body } = await this.send(req);
    if (status < 200 || status > 299) throw new KubeApiError(status, body, `${req.method} ${req.path}`);
    return JSON.parse(body) as T;
  }

  /**
   * Opens a watch (`watch=true` is added) on the watch pool; resolves with the streaming 200 response, or
   * rejects with KubeApiError (e.g. 410 Gone for a too old resourceVersion) or the network error. Aborting
   * `signal` ends the stream.
   */
  async watch(o: { path: string; query: Query; signal: AbortSignal }): Promise<WatchBody> {
    const req: ApiRequest = {
      method: 'GET',
      path: o.path,
      query: { ...o.query, watch: true },
      signal: o.signal,
    };
    const res = await this.#open({ req, agent: this.#watches });
    if (res.statusCode === 200) return res as WatchBody;
    const body = await readBody(res);
    throw new KubeApiError(res.statusCode ?? 0, body, `watch ${o.path}`);
  }

  /** Open sockets in each pool (tests and debugging). */
  socketStats(): { requests: number; watches: number } {
    return { requests: countSockets(this.#requests), watches: countSockets(this.#watches) };
  }

  /** Lets ordinary calls in flight finish, then closes every socket (running watches end). */
  async close(): Promise<void> {
    await Promise.allSettled([...this.#inFlight]);
    this.#requests.destroy();
    this.#watches.destroy();
  }

  async #open(o: { req: ApiRequest; agent: Agent }): Promise<IncomingMessage> {
    const { req } = o;
    const headers: Record<string, string> = { accept: 'application/json' };
    const authorization = await this.#credentials.header();
    if (authorization !== undefined) headers.authorization = authorization;
    const payload = req.body === undefined ? undefined : JSON.stringify(req.body);
    if (payload !== undefined) {
      headers['content-type'] = req.contentType ?? 'application/json';
      headers['content-length'] = String(Buffer.byteLength(payload));
    }
    // Appended, not resolved: a server URL may carry a path prefix (e.g. behind a proxy).
    const url = new URL(this.server + requestPath(req.path, req.query));
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise<IncomingMessage>((resolve, reject) => {
      const r = send(url, { method: req.method, headers, agent: o.agent, signal: req.signal }, resolve);
      r.on('error', reject);
      r.end(payload);
    });
  }
}
