/**
 * kube-proxy stand-in for one lab node (runs inside the node's namespace as `system:kube-proxy`):
 * - watches every Service and keeps exactly the set of `status.loadBalancer.ingress[].ip` on the dummy device
 *   LB_DEVICE (it owns that device: anything else on it is removed). eth0 has arp_ignore=1 / arp_announce=2 and the
 *   kernel answers NDP only for addresses on the receiving interface, so the kernel never announces these IPs:
 *   only an ARP/NDP speaker (ironlb) can attract their traffic.
 * - serves HTTP on RESPONDER_PORT (all addresses, inside this namespace only) answering with the node's name.
 *
 * Environment: KUBECONFIG, NODE_NAME, LB_DEVICE, RESPONDER_PORT.
 */
import { execFile } from 'node:child_process';
import { createServer } from 'node:http';
import { promisify } from 'node:util';
import { CoreV1Api, Watch } from '@kubernetes/client-node';
import type { V1Service } from '@kubernetes/client-node';
import { errorText, exitOnSignals, kubeConfigFromEnv, log, requiredEnv } from './env.js';

const exec = promisify(execFile);
const nodeName = requiredEnv('NODE_NAME');
const device = requiredEnv('LB_DEVICE');
const port = Number(requiredEnv('RESPONDER_PORT'));
const kc = kubeConfigFromEnv();
const core = kc.makeApiClient(CoreV1Api);

/** namespace/name → ingress IPs. */
const ingress = new Map<string, string[]>();

function key(svc: V1Service): string {
  return `${svc.metadata?.namespace ?? ''}/${svc.metadata?.name ?? ''}`;
}

function ingressIps(svc: V1Service): string[] {
  return (svc.status?.loadBalancer?.ingress ?? []).flatMap((i) => (i.ip ? [i.ip] : []));
}

async function currentAddresses(): Promise<string[]> {
  const { stdout } = await exec('ip', ['-j', 'addr', 'show', 'dev', device]);
  const links = JSON.parse(stdout) as { addr_info?: { local: string; scope: string }[] }[];
  return (links[0]?.addr_info ?? []).filter((a) => a.scope !== 'link').map((a) => a.local);
}

async function sync(): Promise<void> {
  const want = new Set([...ingress.values()].flat());
  const have = new Set(await currentAddresses());
  for (const ip of want) {
    if (have.has(ip)) continue;
    const args = ip.includes(':') ? [`${ip}/128`, 'dev', device, 'nodad'] : [`${ip}/32`, 'dev', device];
    await exec('ip', ['addr', 'add', ...args]);
    log('added', { ip });
  }
  for (const ip of have) {
    if (want.has(ip)) continue;
    await exec('ip', ['addr', 'del', ip.includes(':') ? `${ip}/128` : `${ip}/32`, 'dev', device]);
    log('removed', { ip });
  }
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
  const list = await core.listServiceForAllNamespaces();
  ingress.clear();
  for (const svc of list.items) ingress.set(key(svc), ingressIps(svc));
  scheduleSync();
  return list.metadata?.resourceVersion ?? '';
}

function watchFrom(resourceVersion: string): Promise<void> {
  return new Promise((resolveWatch) => {
    let controller: AbortController | null = null;
    const onEvent = (type: string, obj: V1Service): void => {
      if (type === 'ADDED' || type === 'MODIFIED') ingress.set(key(obj), ingressIps(obj));
      else if (type === 'DELETED') ingress.delete(key(obj));
      else if (type === 'ERROR') controller?.abort(); // e.g. 410 Gone: relist
      if (type !== 'BOOKMARK') scheduleSync();
    };
    new Watch(kc)
      .watch('/api/v1/services', { resourceVersion, allowWatchBookmarks: true }, onEvent, () => {
        resolveWatch();
      })
      .then((c) => {
        controller = c;
      })
      .catch((error: unknown) => {
        log('watch failed', { error: errorText(error) });
        resolveWatch();
      });
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
