import type { CoreV1Api, V1Service } from '@kubernetes/client-node';
import { ingressIPs, lbService } from './controller-process.js';

/**
 * Creates and deletes `churn-N` Services in the background (at most `maxAlive` at once), so that
 * restarts and leader changes happen while the controller has work in flight (IPv6-only Services).
 */
export class Churn {
  readonly #o: { core: CoreV1Api; namespace: string; annotations: Record<string, string>; maxAlive: number };
  readonly #alive: string[] = [];
  #next = 0;
  #stopped = true;
  #loop: Promise<void> | undefined;
  created = 0;
  deleted = 0;
  errors = 0;

  constructor(o: {
    core: CoreV1Api;
    namespace: string;
    annotations: Record<string, string>;
    maxAlive: number;
  }) {
    this.#o = o;
  }

  start(periodMs: number): void {
    this.#stopped = false;
    this.#loop = (async () => {
      while (!this.#stopped) {
        await this.step();
        await new Promise((r) => setTimeout(r, periodMs * (0.5 + Math.random())));
      }
    })();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#loop;
  }

  /** One create (or, when full or by chance, one delete of a random churn Service). */
  async step(): Promise<void> {
    const { core, namespace } = this.#o;
    try {
      if (this.#alive.length >= this.#o.maxAlive || (this.#alive.length > 0 && Math.random() < 0.4)) {
        const [name] = this.#alive.splice(Math.floor(Math.random() * this.#alive.length), 1);
        if (name !== undefined) await core.deleteNamespacedService({ namespace, name });
        this.deleted += 1;
        return;
      }
      const name = `churn-${this.#next++}`;
      await core.createNamespacedService({
        namespace,
        body: lbService({ name, annotations: this.#o.annotations, ipv6Only: true }),
      });
      this.#alive.push(name);
      this.created += 1;
    } catch {
      this.errors += 1;
    }
  }
}

export interface Violation {
  readonly at: number;
  readonly what: string;
}

/**
 * Polls every Service of a namespace and records violations of the promise:
 *  - `duplicates`: one IP in the status of two Services that may not share it (here: sharing is
 *    allowed only between Services with the same `ironlb.io/allow-shared-ip` and distinct ports);
 *  - `renumbered`: a Service (by UID) whose IP set changed after it first had one.
 */
export class StatusWatch {
  readonly #core: CoreV1Api;
  readonly #namespace: string;
  readonly first = new Map<string, { name: string; ips: string }>();
  readonly duplicates: Violation[] = [];
  readonly renumbered: Violation[] = [];
  polls = 0;
  #stopped = true;
  #loop: Promise<void> | undefined;

  constructor(o: { core: CoreV1Api; namespace: string }) {
    this.#core = o.core;
    this.#namespace = o.namespace;
  }

  start(periodMs: number): void {
    this.#stopped = false;
    this.#loop = (async () => {
      while (!this.#stopped) {
        await this.poll().catch(() => undefined);
        await new Promise((r) => setTimeout(r, periodMs));
      }
    })();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#loop;
  }

  async poll(): Promise<V1Service[]> {
    const list = await this.#core.listNamespacedService({ namespace: this.#namespace });
    this.polls += 1;
    const holders = new Map<string, V1Service[]>();
    for (const svc of list.items) {
      const ips = ingressIPs(svc);
      const uid = svc.metadata?.uid ?? '';
      const name = svc.metadata?.name ?? '';
      const text = [...ips].sort().join(',');
      const seen = this.first.get(uid);
      if (seen === undefined && ips.length > 0) this.first.set(uid, { name, ips: text });
      else if (seen !== undefined && seen.ips !== text)
        this.renumbered.push({ at: Date.now(), what: `${name}: ${seen.ips} → ${text || '(none)'}` });
      for (const ip of ips) holders.set(ip, [...(holders.get(ip) ?? []), svc]);
    }
    this.#checkHolders(holders);
    return list.items;
  }

  #checkHolders(holders: Map<string, V1Service[]>): void {
    for (const [ip, services] of holders) {
      if (services.length > 1 && !mayShare(services))
        this.duplicates.push({
          at: Date.now(),
          what: `${ip} held by ${services.map((s) => s.metadata?.name ?? '').join(', ')}`,
        });
    }
  }
}

function mayShare(services: readonly V1Service[]): boolean {
  const keys = new Set(services.map((s) => s.metadata?.annotations?.['ironlb.io/allow-shared-ip'] ?? ''));
  if (keys.size !== 1 || keys.has('')) return false;
  const ports = services.flatMap((s) => (s.spec?.ports ?? []).map((p) => `${p.protocol ?? 'TCP'}/${p.port}`));
  return new Set(ports).size === ports.length;
}
