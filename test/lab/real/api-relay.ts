/**
 * In-cluster access to the lab's apiserver for real pods (real mode only), run inside the LAN namespace.
 *
 * Pods reach the apiserver through the `kubernetes` Service, whose endpoint is the apiserver's advertised address
 * (192.0.2.10:26443; it must be IPv4 like the primary service family). The apiserver itself listens only on
 * [2001:db8::1] in the root namespace, which must never carry a 192.0.2.x address. So the LAN namespace holds
 * 192.0.2.10 on its bridge and this relay copies bytes between LISTEN (host:port) and TARGET (host:port): TLS stays
 * end to end between the pod and the apiserver.
 */
import { createConnection, createServer } from 'node:net';
import { errorText, exitOnSignals, log, requiredEnv } from '../stand-ins/env.js';

function hostPort(value: string): { host: string; port: number } {
  const i = value.lastIndexOf(':');
  return { host: value.slice(0, i).replace(/^\[|\]$/g, ''), port: Number(value.slice(i + 1)) };
}

const listen = hostPort(requiredEnv('LISTEN'));
const target = hostPort(requiredEnv('TARGET'));
exitOnSignals();

const server = createServer((client) => {
  const upstream = createConnection(target);
  const close = (): void => {
    client.destroy();
    upstream.destroy();
  };
  client.on('error', close);
  upstream.on('error', (error) => {
    log('upstream error', { error: errorText(error) });
    close();
  });
  client.pipe(upstream);
  upstream.pipe(client);
});
server.on('error', (error) => {
  log('listen error', { error: errorText(error) });
  process.exit(1);
});
server.listen(listen.port, listen.host, () => {
  log('relaying', { listen, target });
});
