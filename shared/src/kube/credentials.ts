import { readFile } from 'node:fs/promises';
import type { KubeAuth } from './kube-config.js';

export interface CredentialsOptions {
  readonly auth: KubeAuth;
  /** A token file is re-read when its last read is this old (default 60 s, as client-go). */
  readonly refreshMs?: number;
  /** Monotonic clock in ms (tests). */
  readonly now?: () => number;
}

/**
 * The `Authorization` header of every request. Invariants: a token file (bound service-account tokens
 * rotate, the kubelet rewrites the file) is read at most once per `refreshMs`, concurrent callers share
 * one read; a failed re-read keeps the last token read (it stays valid for a while after rotation);
 * only when no token was ever read does `header()` reject.
 */
export class Credentials {
  readonly #o: CredentialsOptions;
  #token: string | undefined;
  #readAt = Number.NEGATIVE_INFINITY;
  #reading: Promise<string> | undefined;

  constructor(options: CredentialsOptions) {
    this.#o = options;
  }

  async header(): Promise<string | undefined> {
    const auth = this.#o.auth;
    switch (auth.kind) {
      case 'none':
        return undefined;
      case 'token':
        return `Bearer ${auth.token}`;
      case 'basic':
        return `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`;
      case 'token-file':
        return `Bearer ${await this.#fileToken(auth.path)}`;
    }
  }

  async #fileToken(path: string): Promise<string> {
    const now = (this.#o.now ?? performance.now.bind(performance))();
    if (this.#token !== undefined && now - this.#readAt < (this.#o.refreshMs ?? 60_000)) return this.#token;
    this.#reading ??= readFile(path, 'utf8')
      .then((text) => {
        const token = text.trim();
        if (token === '') throw new Error(`token file ${path} is empty`);
        this.#token = token;
        this.#readAt = now;
        return token;
      })
      .catch((error: unknown) => {
        if (this.#token === undefined) throw error;
        return this.#token;
      })
      .finally(() => {
        this.#reading = undefined;
      });
    return this.#reading;
  }
}
