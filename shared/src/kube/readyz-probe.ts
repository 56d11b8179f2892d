import { ApiRecovery } from './api-recovery.js';
import type { KubeConnection } from './kube-connection.js';

/**
 * GET /readyz with the connection's credentials and TLS settings, through its request pool like any API
 * call. True only for HTTP 200; any failure is false, never thrown.
 */
export function readyzProbe(
  kubeConfig: Pick<KubeConnection, 'send'>,
): (signal: AbortSignal) => Promise<boolean> {
  return async (signal) => {
    try {
      const answer = await kubeConfig.send({ method: 'GET', path: '/readyz', signal });
      return answer.status === 200;
    } catch {
      return false;
    }
  };
}

const perConfig = new WeakMap<Pick<KubeConnection, 'send'>, ApiRecovery>();

/** The one ApiRecovery of a connection: each process builds one, so one prober per process. */
export function sharedRecovery(kubeConfig: Pick<KubeConnection, 'send'>): ApiRecovery {
  let recovery = perConfig.get(kubeConfig);
  if (recovery === undefined) {
    recovery = new ApiRecovery({ probe: readyzProbe(kubeConfig) });
    perConfig.set(kubeConfig, recovery);
  }
  return recovery;
}
