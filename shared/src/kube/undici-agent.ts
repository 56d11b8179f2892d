import { createRequire } from 'node:module';
import type { RequestContext } from '@kubernetes/client-node';

/** The dispatcher type the generated client accepts (`RequestContext.setDispatcher`). */
export type Dispatcher = Parameters<RequestContext['setDispatcher']>[0];

/** The subset of undici's `Agent.Options` this toolkit sets. */
export interface AgentOptions {
  /** TLS + socket options for each new connection (ca, cert, key, servername, keepAlive, ...). */
  connect: Record<string, unknown>;
  /** Upper bound of sockets per origin; requests beyond it queue inside the agent. */
  connections: number | null;
  /** How long an idle socket is kept open for reuse (ms). */
  keepAliveTimeout: number;
}

/** A dispatcher that can be closed and that reports per-origin socket stats. */
export interface PooledDispatcher {
  readonly dispatcher: Dispatcher;
  close(): Promise<void>;
  stats(): Record<string, { connected: number; running: number; pending: number }>;
}

interface UndiciAgent {
  close(): Promise<void>;
  readonly stats: Record<string, { connected: number; running: number; pending: number }>;
}
type AgentConstructor = new (options: AgentOptions) => UndiciAgent;

/*
 * Invariant: the Agent class is taken from the very `undici` copy that @kubernetes/client-node
 * imports its `fetch` from (resolved relative to the client package), so the dispatcher we hand
 * to `RequestContext.setDispatcher` is one that fetch fully understands. `undici` is not a
 * direct dependency of @ironlb/shared.
 */
function loadAgentClass(): AgentConstructor {
  const fromHere = createRequire(import.meta.url);
  const clientEntry = fromHere.resolve('@kubernetes/client-node');
  const fromClient = createRequire(clientEntry);
  const undici = fromClient('undici') as { Agent: AgentConstructor };
  return undici.Agent;
}

let agentClass: AgentConstructor | undefined;

/** Build one undici Agent (the keep-alive connection pool every API call shares). */
export function createPooledDispatcher(options: AgentOptions): PooledDispatcher {
  agentClass ??= loadAgentClass();
  const agent = new agentClass(options);
  return {
    dispatcher: agent as unknown as Dispatcher,
    close: () => agent.close(),
    stats: () => agent.stats,
  };
}
