import { KubeConfig, type RequestContext } from '@kubernetes/client-node';
import type { Dispatcher } from './undici-agent.js';

/** Which pooled dispatcher a request goes through. */
export interface DispatcherRoutes {
  /** Ordinary API calls (GET/PUT/PATCH/...): a small, bounded pool. */
  readonly requests: Dispatcher;
  /** Long-running watches (`?watch=true`): each holds its socket for minutes. */
  readonly watches: Dispatcher;
}

/**
 * A KubeConfig whose every request (generated API clients AND Watch/informers, which both call
 * `applySecurityAuthentication`) is sent through a shared keep-alive dispatcher instead of the
 * fresh undici Agent the stock KubeConfig builds per call (one TLS handshake per call).
 *
 * Invariant: watches never share the bounded request pool, so N informers can never starve
 * (or be starved by) ordinary API calls — an HTTP/1.1 watch occupies its socket until it ends.
 * Until `useDispatchers` is called it behaves exactly like KubeConfig.
 */
export class PooledKubeConfig extends KubeConfig {
  #routes: DispatcherRoutes | undefined;

  useDispatchers(routes: DispatcherRoutes): void {
    this.#routes = routes;
  }

  override async applySecurityAuthentication(context: RequestContext): Promise<void> {
    await super.applySecurityAuthentication(context);
    const routes = this.#routes;
    if (routes === undefined) return;
    const isWatch = new URL(context.getUrl()).searchParams.get('watch') === 'true';
    context.setDispatcher(isWatch ? routes.watches : routes.requests);
  }
}
