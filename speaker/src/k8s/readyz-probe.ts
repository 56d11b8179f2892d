import {
  HttpMethod,
  IsomorphicFetchHttpLibrary,
  RequestContext,
  type KubeConfig,
} from '@kubernetes/client-node';

/**
 * GET /readyz with the kubeConfig's credentials and connection pool (a PooledKubeConfig routes it through
 * its request pool), aborted through the signal. True only for HTTP 200; any failure is false, never thrown.
 * /readyz is readable by every authenticated client (system:public-info-viewer), needs no RBAC of ours and
 * costs the API server next to nothing.
 */
export function readyzProbe(kubeConfig: KubeConfig): (signal: AbortSignal) => Promise<boolean> {
  const http = new IsomorphicFetchHttpLibrary();
  return async (signal) => {
    try {
      const server = kubeConfig.getCurrentCluster()?.server;
      if (server === undefined) return false;
      const context = new RequestContext(`${server.replace(/\/+$/, '')}/readyz`, HttpMethod.GET);
      await kubeConfig.applySecurityAuthentication(context);
      context.setSignal(signal);
      const response = await http.send(context).toPromise();
      await response.body.text();
      return response.httpStatusCode === 200;
    } catch {
      return false;
    }
  };
}
