/**
 * Per-key token buckets (client-go's event spam filter): `burst` tokens, one more every
 * `refillMs`. Invariant: a key never holds more than `burst` tokens; at most `maxKeys` keys are
 * tracked (the least recently touched is forgotten, i.e. starts full again).
 */
export class KeyedTokenBuckets {
  readonly #buckets = new Map<string, { tokens: number; at: number }>();
  readonly #o: { burst: number; refillMs: number; maxKeys: number; now: () => number };

  constructor(options: { burst: number; refillMs: number; maxKeys?: number; now?: () => number }) {
    this.#o = {
      burst: options.burst,
      refillMs: options.refillMs,
      maxKeys: options.maxKeys ?? 4096,
      now: options.now ?? Date.now,
    };
  }

  /** Take one token for `key`; false when the key is out of tokens. */
  take(key: string): boolean {
    const now = this.#o.now();
    const b = this.#buckets.get(key) ?? { tokens: this.#o.burst, at: now };
    const refill = Math.floor((now - b.at) / this.#o.refillMs);
    if (refill > 0) {
      b.tokens = Math.min(this.#o.burst, b.tokens + refill);
      b.at += refill * this.#o.refillMs;
    }
    if (b.tokens >= this.#o.burst) b.at = now;
    this.#buckets.delete(key);
    this.#buckets.set(key, b);
    if (this.#buckets.size > this.#o.maxKeys) {
      const oldest = this.#buckets.keys().next().value;
      if (oldest !== undefined) this.#buckets.delete(oldest);
    }
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }
}
