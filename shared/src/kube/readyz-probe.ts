import { createRequire } from 'node:module';
import { HttpMethod, type KubeConfig, RequestContext } from '@kubernetes/client-node';
import { ApiRecovery } from './api-recovery.js';

interface ProbeResponse {
  readonly status: number;
  arrayBuffer(): Promise<ArrayBuffer>;
}
type UndiciFetch = (
  url: string,
  init: { method: string; headers: Record<string, string>; dispatcher: unknown; signal: AbortSignal },
) => Promise<ProbeResponse>;

let undiciFetch: UndiciFetch | undefined;

/** The `fetch` of the undici copy the client library uses (the one its dispatchers belong to). */
function loadFetch(): UndiciFetch {
  const clientEntry = createRequire(import.meta.url).resolve('@kubernetes/client-node');
  return (createRequire(clientEntry)('undici') as { fetch: UndiciFetch }).fetch;
}

/**
 * GET /readyz with the kubeConfig's credentials and TLS settings (a PooledKubeConfig routes it through
 * its request pool, like any API call). True only for HTTP 200; any failure is false, never thrown.
 */
export function readyzProbe(kubeConfig: KubeConfig): (signal: AbortSignal) => Promise<boolean> {
  return async (signal) => {
    try {
      const server = kubeConfig.getCurrentCluster()?.server;
      if (server === undefined) return false;
      const url = `${server.replace(/\/+$/, '')}/readyz`;
      const context = new RequestContext(url, HttpMethod.GET);
      await kubeConfig.applySecurityAuthentication(context);
      undiciFetch ??= loadFetch();
      const response = await undiciFetch(url, {
        method: 'GET',
        headers: context.getHeaders(),
        dispatcher: context.getDispatcher(),
        signal,
      });
      await response.arrayBuffer();
      return response.status === 200;
    } catch {
      return false;
    }
  };
}

const perConfig = new WeakMap<KubeConfig, ApiRecovery>();

/** The one ApiRecovery of a kubeConfig: each process builds one kubeConfig, so one prober per process. */
export function sharedRecovery(kubeConfig: KubeConfig): ApiRecovery {
  let recovery = perConfig.get(kubeConfig);
  if (recovery === undefined) {
    recovery = new ApiRecovery({ probe: readyzProbe(kubeConfig) });
    perConfig.set(kubeConfig, recovery);
  }
  return recovery;
}
