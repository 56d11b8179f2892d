import { Agent, request } from 'node:http';
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

async function get(
  base: string,
  path: string,
  method = 'GET',
): Promise<{ status: number; body: string; type: string }> {
  const res = await fetch(`${base}${path}`, { method });
  return { status: res.status, body: await res.text(), type: res.headers.get('content-type') ?? '' };
}

describe('createOpsServer', () => {
  it('/readyz is 503 with the reason until ready, then 200', async () => {
    let state: ProbeResult = { ok: false, reason: 'informers not synced: services' };
    const base = await make(() => state).start();
    const notReady = await get(base, '/readyz');
    expect([notReady.status, notReady.body]).toEqual([503, 'informers not synced: services\n']);
    expect(notReady.type).toBe('text/plain; charset=utf-8');
    state = { ok: true };
    expect(await get(base, '/readyz')).toMatchObject({ status: 200, body: 'ok\n' });
    expect(await get(base, '/healthz')).toMatchObject({ status: 200, body: 'ok\n' });
    expect(await get(base, '/healthz?verbose=1')).toMatchObject({ status: 200, body: 'ok\n' });
  });

  it('/metrics serves the registry with ironlb_-prefixed process metrics, registered once', async () => {
    const registry = new Registry();
    new Counter({ name: 'ironlb_allocations_total', help: 'allocations', registers: [registry] }).inc(2);
    const s = make(() => ({ ok: true }), registry);
    await s.start();
    await s.stop();
    const base = await make(() => ({ ok: true }), registry).start(); // same registry again: must not throw
    const res = await get(base, '/metrics');
    expect(res.status).toBe(200);
    expect(res.type).toContain('text/plain');
    expect(res.body).toContain('ironlb_allocations_total 2');
    expect(res.body).toMatch(/^ironlb_process_cpu_user_seconds_total \d/m);
    expect(res.body).not.toMatch(/^process_cpu/m);
  });

  it('unknown paths are 404, other methods 405, HEAD answers without a body', async () => {
    const base = await make(() => ({ ok: true })).start();
    expect((await get(base, '/nope')).status).toBe(404);
    expect((await get(base, '/healthz', 'POST')).status).toBe(405);
    expect(await get(base, '/healthz', 'HEAD')).toMatchObject({ status: 200, body: '' });
  });

  it('stop() returns while a scraper holds a keep-alive connection', async () => {
    const base = new URL(await make(() => ({ ok: true })).start());
    const agent = new Agent({ keepAlive: true });
    await new Promise<void>((resolve, reject) => {
      request({ host: base.hostname, port: base.port, path: '/metrics', agent }, (res) => {
        res.resume();
        res.on('end', resolve);
      })
        .on('error', reject)
        .end();
    });
    await server?.stop();
    server = undefined;
    agent.destroy();
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
