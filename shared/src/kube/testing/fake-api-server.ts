/* eslint-disable @typescript-eslint/require-await -- fakes keep the async signatures of the APIs they stand in for. */
import { readFileSync } from 'node:fs';
import fastify, { type FastifyInstance } from 'fastify';

const cert = readFileSync(new URL('./localhost-cert.pem', import.meta.url));
const key = readFileSync(new URL('./localhost-key.pem', import.meta.url));

/** A local HTTPS server standing in for kube-apiserver; counts TLS handshakes and concurrency. */
export interface FakeApiServer {
  readonly app: FastifyInstance;
  readonly url: string;
  /** Kubeconfig YAML trusting the self-signed cert, bearer token `test-token`. */
  readonly kubeconfig: string;
  readonly counters: { handshakes: number; inFlight: number; maxInFlight: number; requests: number };
  close(): Promise<void>;
}

export async function startFakeApiServer(setup: (app: FastifyInstance) => void): Promise<FakeApiServer> {
  const app = fastify({ https: { cert, key } });
  const counters = { handshakes: 0, inFlight: 0, maxInFlight: 0, requests: 0 };
  app.server.on('secureConnection', () => {
    counters.handshakes += 1;
  });
  app.addHook('onRequest', async () => {
    counters.requests += 1;
    counters.inFlight += 1;
    counters.maxInFlight = Math.max(counters.maxInFlight, counters.inFlight);
  });
  app.addHook('onResponse', async () => {
    counters.inFlight -= 1;
  });
  setup(app);
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  const kubeconfig = [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- name: fake',
    '  cluster:',
    `    server: ${url}`,
    `    certificate-authority-data: ${cert.toString('base64')}`,
    'users:',
    '- name: tester',
    '  user:',
    '    token: test-token',
    'contexts:',
    '- name: fake',
    '  context: { cluster: fake, user: tester }',
    'current-context: fake',
    '',
  ].join('\n');
  return { app, url, kubeconfig, counters, close: () => app.close() };
}
