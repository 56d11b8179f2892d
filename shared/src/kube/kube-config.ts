import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { dirname, resolve } from 'node:path';
import { err, ok, type Result } from '../types/result.js';

/** Where the API server is and how to talk to it: what a kubeconfig (or the pod's service account) says. */
export interface KubeAccess {
  /** `https://host:port` (or http), no trailing slash. */
  readonly server: string;
  readonly tls: KubeTls;
  readonly auth: KubeAuth;
}

export interface KubeTls {
  readonly ca?: Buffer;
  readonly cert?: Buffer;
  readonly key?: Buffer;
  /** SNI and the name the certificate must match, when it is not the server's host. */
  readonly servername?: string;
  /** False only for `insecure-skip-tls-verify: true`. */
  readonly rejectUnauthorized: boolean;
}

export type KubeAuth =
  | { readonly kind: 'none' }
  | { readonly kind: 'token'; readonly token: string }
  /** Re-read periodically: bound service-account tokens rotate. */
  | { readonly kind: 'token-file'; readonly path: string }
  | { readonly kind: 'basic'; readonly username: string; readonly password: string };

/** The pod's service account, as the kubelet mounts it. */
const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

export interface KubeConfigSource {
  /** Inline kubeconfig YAML (tests, CLI); wins over `kubeconfigPath`. */
  readonly kubeconfigYaml?: string | undefined;
  /** A kubeconfig file; relative file references in it are resolved against its directory. */
  readonly kubeconfigPath?: string | undefined;
  /**
   * In-cluster config when neither is given: KUBERNETES_SERVICE_HOST / _PORT as main.ts read them, and the
   * service-account files (default `SERVICE_ACCOUNT_DIR`/token and /ca.crt).
   */
  readonly inCluster?: {
    readonly host: string | undefined;
    readonly port: string | undefined;
    readonly tokenPath?: string;
    readonly caPath?: string;
  };
}

type Doc = Record<string, unknown>;
const isDoc = (v: unknown): v is Doc => typeof v === 'object' && v !== null && !Array.isArray(v);
const text = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** The entry `name` of a kubeconfig list (`clusters`, `users`, `contexts`), its inner object under `field`. */
function entry(doc: Doc, list: string, name: string): Doc | undefined {
  const items = doc[list];
  if (!Array.isArray(items)) return undefined;
  const found = (items as unknown[]).find((i) => isDoc(i) && i.name === name);
  return isDoc(found)
    ? isDoc(found[list.slice(0, -1)])
      ? (found[list.slice(0, -1)] as Doc)
      : {}
    : undefined;
}

/** Inline `<field>-data` (base64) or the file `<field>`; undefined when neither is set. */
async function material(o: { obj: Doc; field: string; baseDir: string }): Promise<Buffer | undefined> {
  const data = text(o.obj[`${o.field}-data`]);
  if (data !== undefined) return Buffer.from(data, 'base64');
  const file = text(o.obj[o.field]);
  return file === undefined ? undefined : readFile(resolve(o.baseDir, file));
}

function authOf(user: Doc, baseDir: string): Result<KubeAuth> {
  if (user.exec !== undefined) return err('exec credential plugins (users[].user.exec) are not supported');
  if (user['auth-provider'] !== undefined)
    return err('auth-provider plugins (users[].user.auth-provider) are not supported');
  const token = text(user.token);
  if (token !== undefined) return ok({ kind: 'token', token });
  const tokenFile = text(user.tokenFile);
  if (tokenFile !== undefined) return ok({ kind: 'token-file', path: resolve(baseDir, tokenFile) });
  const username = text(user.username);
  if (username !== undefined) return ok({ kind: 'basic', username, password: text(user.password) ?? '' });
  return ok({ kind: 'none' });
}

/** The cluster and user entries of the current context. */
function currentEntries(doc: unknown): Result<{ clusterName: string; cluster: Doc; user: Doc }> {
  if (!isDoc(doc)) return err('kubeconfig is not a YAML mapping');
  const contextName = text(doc['current-context']);
  if (contextName === undefined) return err('kubeconfig has no current-context');
  const context = entry(doc, 'contexts', contextName);
  if (context === undefined) return err(`kubeconfig has no context "${contextName}"`);
  const clusterName = text(context.cluster) ?? '';
  const cluster = entry(doc, 'clusters', clusterName);
  if (cluster === undefined)
    return err(`kubeconfig has no cluster "${clusterName}" (context "${contextName}")`);
  const userName = text(context.user);
  const user = userName === undefined ? {} : entry(doc, 'users', userName);
  if (user === undefined) return err(`kubeconfig has no user "${userName}" (context "${contextName}")`);
  return ok({ clusterName, cluster, user });
}

/** Resolves the current context of a parsed kubeconfig document; reads the files it names. */
async function accessFromKubeconfig(doc: unknown, baseDir: string): Promise<Result<KubeAccess>> {
  const entries = currentEntries(doc);
  if (!entries.ok) return entries;
  const { clusterName, cluster, user } = entries.value;
  const server = text(cluster.server);
  if (server === undefined) return err(`cluster "${clusterName}" has no server`);
  if (!/^https?:\/\//u.test(server))
    return err(`cluster "${clusterName}": server "${server}" is not an http(s) URL`);
  if (cluster['proxy-url'] !== undefined) return err(`cluster "${clusterName}": proxy-url is not supported`);
  const auth = authOf(user, baseDir);
  if (!auth.ok) return auth;
  try {
    const ca = await material({ obj: cluster, field: 'certificate-authority', baseDir });
    const cert = await material({ obj: user, field: 'client-certificate', baseDir });
    const key = await material({ obj: user, field: 'client-key', baseDir });
    const servername = text(cluster['tls-server-name']);
    const tls: KubeTls = {
      rejectUnauthorized: cluster['insecure-skip-tls-verify'] !== true,
      ...(ca && { ca }),
      ...(cert && { cert }),
      ...(key && { key }),
      ...(servername !== undefined && { servername }),
    };
    return ok({ server: server.replace(/\/+$/u, ''), tls, auth: auth.value });
  } catch (e) {
    return err(`cannot read a file named in the kubeconfig: ${message(e)}`);
  }
}

/** The pod's in-cluster access: service host/port, service-account token (re-read, it rotates) and CA. */
async function accessInCluster(o: NonNullable<KubeConfigSource['inCluster']>): Promise<Result<KubeAccess>> {
  if (o.host === undefined || o.host === '' || o.port === undefined || o.port === '')
    return err(
      'no kubeconfig given and not in a cluster (KUBERNETES_SERVICE_HOST / KUBERNETES_SERVICE_PORT unset)',
    );
  const tokenPath = o.tokenPath ?? `${SERVICE_ACCOUNT_DIR}/token`;
  const caPath = o.caPath ?? `${SERVICE_ACCOUNT_DIR}/ca.crt`;
  try {
    await readFile(tokenPath);
    const ca = await readFile(caPath);
    const host = isIP(o.host) === 6 ? `[${o.host}]` : o.host;
    return ok({
      server: `https://${host}:${o.port}`,
      tls: { ca, rejectUnauthorized: true },
      auth: { kind: 'token-file', path: tokenPath },
    });
  } catch (e) {
    return err(`in-cluster config: ${message(e)}`);
  }
}

/** Inline YAML, else the file, else in-cluster. Every failure is a value naming what is wrong. */
export async function loadKubeAccess(source: KubeConfigSource): Promise<Result<KubeAccess>> {
  let yamlText = source.kubeconfigYaml;
  let baseDir = process.cwd();
  if (yamlText === undefined && source.kubeconfigPath !== undefined) {
    try {
      yamlText = await readFile(source.kubeconfigPath, 'utf8');
    } catch (e) {
      return err(`cannot read kubeconfig: ${message(e)}`);
    }
    baseDir = dirname(resolve(source.kubeconfigPath));
  }
  if (yamlText === undefined)
    return accessInCluster(source.inCluster ?? { host: undefined, port: undefined });
  // Loaded only here: in a pod (in-cluster config) no YAML parser is ever loaded.
  const yaml = await import('js-yaml');
  let doc: unknown;
  try {
    doc = yaml.load(yamlText);
  } catch (e) {
    return err(`kubeconfig is not valid YAML: ${message(e)}`);
  }
  return accessFromKubeconfig(doc, baseDir);
}
