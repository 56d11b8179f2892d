import { type CoreV1Client, Informer, type KubeClients } from '@ironlb/shared/kube';
import type { KubernetesObject, V1Secret } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { PasswordSecretState } from '../bgp/index.js';

/** What the cache keeps of a Secret: its identity and the values of the keys BGPPeers name, nothing else. */
export interface SlimSecret extends KubernetesObject {
  values: Record<string, string>;
}

/** A list+watch cache of one Secret (the production one is an Informer). */
export interface SecretSource {
  start(signal: AbortSignal): Promise<void>;
  stop(): Promise<void>;
  hasSynced(): boolean;
  list(): SlimSecret[];
}

export interface SecretSourceSpec {
  namespace: string;
  name: string;
  /** Keys whose values are kept (sorted). */
  keys: readonly string[];
  onChange: () => void;
}

export interface PasswordSecretsOptions {
  clients: Pick<KubeClients, 'kubeConfig'> & { core: Pick<CoreV1Client, 'listNamespacedSecret'> };
  /** Where password Secrets live: the namespace ironlb runs in. */
  namespace: string;
  logger: Logger;
  /** A cached Secret changed, or a first read finished: re-plan. */
  onChange: () => void;
  /** Default: an Informer with a field selector on the name (tests pass a fake). */
  sourceFor?: (spec: SecretSourceSpec) => SecretSource;
}

interface Entry {
  keysId: string;
  source: SecretSource;
  abort: AbortController;
  /** The first list+watch attempt has ended (synced, or failed and retrying). */
  started: boolean;
}

/**
 * The password Secrets BGPPeers name, each watched on its own (list+watch with `metadata.name=<name>` in ironlb's
 * namespace), so the speaker reads no other Secret; the cache keeps only the named keys' values.
 *
 * Invariants: `sync` starts a watch for each wanted Secret and stops those no longer wanted; a change of the
 * wanted keys of a Secret replaces its watch (the new one lists again); `state` is `loading` until the first
 * attempt of a watch has ended, then `unreadable` while it has never listed, else `absent` / `present`.
 */
export class PasswordSecrets {
  private readonly entries = new Map<string, Entry>();
  private signal: AbortSignal | undefined;

  constructor(private readonly options: PasswordSecretsOptions) {}

  start(signal: AbortSignal): void {
    this.signal = signal;
  }

  async stop(): Promise<void> {
    const all = [...this.entries.values()];
    this.entries.clear();
    await Promise.all(all.map((e) => this.end(e)));
  }

  get namespace(): string {
    return this.options.namespace;
  }

  /** Wanted Secrets: name → the keys BGPPeers read from it. */
  sync(wanted: ReadonlyMap<string, ReadonlySet<string>>): void {
    for (const [name, entry] of this.entries) {
      const keys = wanted.get(name);
      if (keys !== undefined && keysId(keys) === entry.keysId) continue;
      this.entries.delete(name);
      void this.end(entry);
    }
    for (const [name, keys] of wanted) if (!this.entries.has(name)) this.begin(name, keys);
  }

  /** True while some wanted Secret has not been read for the first time. */
  loading(): boolean {
    return [...this.entries.values()].some((e) => !e.started);
  }

  state(name: string): PasswordSecretState {
    const entry = this.entries.get(name);
    if (!entry?.started) return { kind: 'loading' };
    if (!entry.source.hasSynced()) return { kind: 'unreadable' };
    const secret = entry.source.list().find((s) => s.metadata?.name === name);
    return secret === undefined ? { kind: 'absent' } : { kind: 'present', values: secret.values };
  }

  private begin(name: string, keys: ReadonlySet<string>): void {
    const { namespace, onChange } = this.options;
    const sorted = [...keys].sort();
    const make = this.options.sourceFor ?? ((spec) => this.informer(spec));
    const source = make({ namespace, name, keys: sorted, onChange });
    const entry: Entry = { keysId: keysId(keys), source, abort: new AbortController(), started: false };
    this.entries.set(name, entry);
    this.signal?.addEventListener(
      'abort',
      () => {
        entry.abort.abort();
      },
      { once: true },
    );
    void source.start(entry.abort.signal).then(() => {
      entry.started = true;
      if (this.entries.get(name) === entry) onChange();
    });
  }

  private async end(entry: Entry): Promise<void> {
    entry.abort.abort();
    await entry.source.stop();
  }

  private informer(spec: SecretSourceSpec): SecretSource {
    const { clients, logger } = this.options;
    const fieldSelector = `metadata.name=${spec.name}`;
    return new Informer<V1Secret, SlimSecret>({
      kubeConfig: clients.kubeConfig,
      path: `/api/v1/namespaces/${encodeURIComponent(spec.namespace)}/secrets`,
      fieldSelector,
      list: () => clients.core.listNamespacedSecret({ namespace: spec.namespace, fieldSelector }),
      typeName: 'V1Secret',
      transform: (s) => slimSecret(s, spec.keys),
      onEvent: () => {
        spec.onChange();
      },
      logger,
    });
  }
}

function keysId(keys: ReadonlySet<string>): string {
  return JSON.stringify([...keys].sort());
}

/** Keeps the Secret's identity and the listed keys' values (decoded from base64 `data`) only. */
export function slimSecret(s: V1Secret, keys: readonly string[]): SlimSecret {
  const values: Record<string, string> = {};
  for (const key of keys) {
    const data = s.data?.[key];
    if (data !== undefined) values[key] = Buffer.from(data, 'base64').toString('utf8');
  }
  const { name, namespace, uid, resourceVersion } = s.metadata ?? {};
  return { metadata: { name, namespace, uid, resourceVersion }, values };
}
