/**
 * kube-proxy stand-in for one lab node (runs inside the node's namespace as `system:kube-proxy`):
 * - watches every Service and keeps exactly the set of `status.loadBalancer.ingress[].ip` on the dummy device
 *   LB_DEVICE (it owns that device: anything else on it is removed). eth0 has arp_ignore=1 / arp_announce=2 and the
 *   kernel answers NDP only for addresses on the receiving interface, so the kernel never announces these IPs:
 *   only an ARP/NDP speaker (ironlb) can attract their traffic.
 * - serves HTTP on RESPONDER_PORT (all addresses, inside this namespace only) answering with the node's name.
 *
 * Environment: API_SERVER, CA_FILE, CERT_FILE, KEY_FILE, NODE_NAME, LB_DEVICE, RESPONDER_PORT.
 */
import { execFile, spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { promisify } from 'node:util';
import { apiClientFromEnv, expectOk } from './api.js';
import { errorText, exitOnSignals, log, requiredEnv } from './env.js';

/** The parts of a Service this stand-in reads. */
interface Service {
  metadata?: { namespace?: string; name?: string; resourceVersion?: string };
  status?: { loadBalancer?: { ingress?: { ip?: string }[] } };
}

const exec = promisify(execFile);
const nodeName = requiredEnv('NODE_NAME');
const device = requiredEnv('LB_DEVICE');
const port = Number(requiredEnv('RESPONDER_PORT'));
const api = apiClientFromEnv();

/** namespace/name → ingress IPs. */
const ingress = new Map<string, string[]>();

function key(svc: Service): string {
  return `${svc.metadata?.namespace ?? ''}/${svc.metadata?.name ?? ''}`;
}

function ingressIps(svc: Service): string[] {
  return (svc.status?.loadBalancer?.ingress ?? []).flatMap((i) => (i.ip ? [i.ip] : []));
}

async function currentAddresses(): Promise<string[]> {
  const { stdout } = await exec('ip', ['-j', 'addr', 'show', 'dev', device]);
  const links = JSON.parse(stdout) as { addr_info?: { local: string; scope: string }[] }[];
  return (links[0]?.addr_info ?? []).filter((a) => a.scope !== 'link').map((a) => a.local);
}

/** Runs many `ip` commands in one process (`ip -force -batch -`): a bench with 10,000 IPs syncs in seconds. */
function ipBatch(lines: readonly string[]): Promise<void> {
  if (lines.length === 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const child = spawn('ip', ['-force', '-batch', '-'], { stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code === 0) resolve();
      else reject(new Error(`ip -batch exited ${code ?? 'null'}: ${stderr.slice(0, 300)}`));
    });
    child.stdin.end(`${lines.join('\n')}\n`);
  });
}

/**
 * The device's addresses as of the last successful sync, and when they were last read from the device; null
 * after a failure. Reading them costs O(addresses) (`ip -j addr show`, 10,000 of them in a big bench), so a sync
 * diffs against this and reads the device only every DEVICE_READ_MS: anything else put on the device, or a
 * recreated device, is still corrected within that time.
 */
let applied: { ips: Set<string>; readAt: number } | null = null;
const DEVICE_READ_MS = 10_000;

async function sync(): Promise<void> {
  const want = new Set([...ingress.values()].flat());
  const known = applied !== null && Date.now() - applied.readAt < DEVICE_READ_MS ? applied : null;
  applied = null;
  const have = known?.ips ?? new Set(await currentAddresses());
  const readAt = known?.readAt ?? Date.now();
  const add = [...want].filter((ip) => !have.has(ip));
  const remove = [...have].filter((ip) => !want.has(ip));
  await ipBatch([
    ...add.map((ip) =>
      ip.includes(':') ? `addr add ${ip}/128 dev ${device} nodad` : `addr add ${ip}/32 dev ${device}`,
    ),
    ...remove.map((ip) => `addr del ${ip}/${ip.includes(':') ? 128 : 32} dev ${device}`),
  ]);
  applied = { ips: want, readAt };
  if (add.length > 0 || remove.length > 0) log('synced', { added: add, removed: remove });
}

// Syncs are serialized and coalesced: at most one running and one queued.
let running: Promise<void> | null = null;
let queued = false;
function scheduleSync(): void {
  if (running) {
    queued = true;
    return;
  }
  running = sync()
    .catch((error: unknown) => {
      log('sync failed', { error: errorText(error) });
    })
    .finally(() => {
      running = null;
      if (queued) {
        queued = false;
        scheduleSync();
      }
    });
}

async function relist(): Promise<string> {
  const res = await api.call({ method: 'GET', path: '/api/v1/services' });
  expectOk(res, 'list services');
  const list = res.body as { items: Service[]; metadata?: { resourceVersion?: string } };
  ingress.clear();
  for (const svc of list.items) ingress.set(key(svc), ingressIps(svc));
  scheduleSync();
  return list.metadata?.resourceVersion ?? '';
}

/** Follows the watch until it ends (server timeout, error event such as 410 Gone, or transport failure). */
function watchFrom(resourceVersion: string): Promise<void> {
  const path = `/api/v1/services?watch=1&allowWatchBookmarks=true&resourceVersion=${resourceVersion}`;
  return api.watch(path, (event) => {
    const svc = event.object as Service;
    if (event.type === 'ADDED' || event.type === 'MODIFIED') ingress.set(key(svc), ingressIps(svc));
    else if (event.type === 'DELETED') ingress.delete(key(svc));
    else return; // BOOKMARK, or ERROR: the server closes the stream and we relist.
    scheduleSync();
  });
}

async function serviceLoop(): Promise<never> {
  for (;;) {
    try {
      await watchFrom(await relist());
    } catch (error) {
      log('list failed', { error: errorText(error) });
    }
    await new Promise((r) => setTimeout(r, 1_000));
  }
}

function startResponder(): void {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain', connection: 'close' });
    res.end(`${nodeName}\n`);
  });
  server.listen({ port, host: '::', ipv6Only: false }, () => {
    log('responder listening', { port });
  });
}

exitOnSignals();
startResponder();
await serviceLoop();
