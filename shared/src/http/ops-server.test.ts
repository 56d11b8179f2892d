import { Counter, Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { createOpsServer, type OpsServer, type ProbeResult } from './ops-server.js';

let server: OpsServer | undefined;
afterEach(async () => {
  await server?.stop();
});

function make(
  ready: () => ProbeResult,
  registry = new Registry(),
  host: { value: string | undefined } = { value: '127.0.0.1' },
): OpsServer {
  server = createOpsServer({
    host: host.value,
    port: 0,
    registry,
    isReady: ready,
    isHealthy: () => ({ ok: true }),
  });
  return server;
}

describe('createOpsServer', () => {
  it('/readyz is 503 with the reason until ready, then 200', async () => {
    let state: ProbeResult = { ok: false, reason: 'informers not synced: services' };
    const s = make(() => state);
    const notReady = await s.app.inject({ method: 'GET', url: '/readyz' });
    expect(notReady.statusCode).toBe(503);
    expect(notReady.body).toBe('informers not synced: services\n');
    state = { ok: true };
    const ready = await s.app.inject({ method: 'GET', url: '/readyz' });
    expect([ready.statusCode, ready.body]).toEqual([200, 'ok\n']);
    const healthy = await s.app.inject({ method: 'GET', url: '/healthz' });
    expect(healthy.statusCode).toBe(200);
  });

  it('/metrics serves the registry with ironlb_-prefixed process metrics, registered once', async () => {
    const registry = new Registry();
    new Counter({ name: 'ironlb_allocations_total', help: 'allocations', registers: [registry] }).inc(2);
    const s = make(() => ({ ok: true }), registry);
    await s.stop();
    const s2 = make(() => ({ ok: true }), registry); // same registry again: must not throw
    const res = await s2.app.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/plain');
    expect(res.body).toContain('ironlb_allocations_total 2');
    expect(res.body).toMatch(/^ironlb_process_cpu_user_seconds_total \d/m);
    expect(res.body).not.toMatch(/^process_cpu/m);
  });

  it('start() listens on a real port', async () => {
    const s = make(() => ({ ok: true }));
    const address = await s.start();
    const res = await fetch(`${address}/healthz`);
    expect(res.status).toBe(200);
  });

  it('without a host it answers on IPv4 and IPv6 loopback (one dual-stack socket)', async () => {
    const s = make(() => ({ ok: true }), new Registry(), { value: undefined });
    const address = await s.start();
    const port = new URL(address).port;
    expect(address).toMatch(/^http:\/\/\[::\]:\d+$/);
    for (const base of [`http://127.0.0.1:${port}`, `http://[::1]:${port}`]) {
      const res = await fetch(`${base}/readyz`);
      expect([base, res.status, await res.text()]).toEqual([base, 200, 'ok\n']);
    }
  });
});
