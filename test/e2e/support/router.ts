import { writeFileSync } from 'node:fs';
import { ensureLabBgp } from '../../lab/bgp/bgp-lab.js';
import { ensureIbgpPeer, removeIbgpPeer } from '../../lab/bgp/ibgp-peer.js';
import type { BgpLabPlan, FrrInstance } from '../../lab/bgp/plan.js';
import { bgpLabPlan } from '../../lab/bgp/plan.js';
import { labConfig } from '../../lab/config.js';
import { run, runInNetns } from '../../lab/exec.js';
import type { HttpGetResult } from '../../lab/http-get.js';
import { urlFor } from '../../lab/http-get.js';
import { speakerMetrics } from './metrics.js';
import { SpeakerSet } from './speakers.js';
import { waitFor } from './wait.js';
import type { WaitOptions } from './wait.js';

/**
 * The lab's BGP router (FRR in `ilb-router`, see test/lab/README.md "BGP"), read through `vtysh -N … -c '… json'`,
 * and the per-node FRR instances a speaker drives. Values are typed projections of FRR 8.4's JSON.
 */
export type BgpFamily = 'ipv4' | 'ipv6';

export function bgpLab(): BgpLabPlan {
  return bgpLabPlan(labConfig());
}

/** Brings the lab's BGP part up (idempotent; also repairs the nodes' routes back to the BGP client). */
export async function ensureBgpLab(): Promise<BgpLabPlan> {
  const config = labConfig();
  await ensureLabBgp(config);
  return bgpLabPlan(config);
}

export function familyOf(prefixOrIp: string): BgpFamily {
  return prefixOrIp.includes(':') ? 'ipv6' : 'ipv4';
}

/** Runs vtysh commands against an FRR instance (default: the router); resolves to stdout. */
export async function vtysh(commands: readonly string[], instance?: FrrInstance): Promise<string> {
  const [command = 'vtysh', ...args] = (instance ?? bgpLab().router.frr).vtysh;
  const { stdout } = await run(command, [...args, ...commands.flatMap((c) => ['-c', c])]);
  return stdout;
}

async function routerJson(command: string): Promise<unknown> {
  const text = await vtysh([command]);
  return text.trim() === '' ? {} : (JSON.parse(text) as unknown);
}

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (v !== null && typeof v === 'object' ? (v as Json) : {});
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const num = (v: unknown): number => (typeof v === 'number' ? v : Number.NaN);

export interface BgpPeerSummary {
  /** The session address on the router's side of view (a node's LAN address). */
  readonly peer: string;
  /** 'Established', 'Active', 'Connect', 'Idle', … */
  readonly state: string;
  readonly remoteAs: number;
  readonly prefixesReceived: number;
  readonly uptimeMs: number;
}

/** `show bgp <family> unicast summary json`: one entry per configured neighbor. */
export async function routerBgpPeers(family: BgpFamily): Promise<BgpPeerSummary[]> {
  const json = obj(await routerJson(`show bgp ${family} unicast summary json`));
  return Object.entries(obj(json.peers)).map(([peer, value]) => {
    const p = obj(value);
    return {
      peer,
      state: str(p.state),
      remoteAs: num(p.remoteAs),
      prefixesReceived: num(p.pfxRcd),
      uptimeMs: num(p.peerUptimeMsec),
    };
  });
}

export interface BgpPath {
  /** Session address of the neighbor the path came from. */
  readonly peer: string;
  readonly best: boolean;
  readonly multipath: boolean;
  readonly asPath: string;
  readonly nextHops: readonly { readonly ip: string; readonly scope?: string; readonly used: boolean }[];
}

/** `show bgp <family> unicast json`: prefix → paths. */
export async function routerBgpRoutes(family: BgpFamily): Promise<Map<string, BgpPath[]>> {
  const json = obj(await routerJson(`show bgp ${family} unicast json`));
  const routes = new Map<string, BgpPath[]>();
  for (const [prefix, paths] of Object.entries(obj(json.routes))) {
    routes.set(
      prefix,
      arr(paths).map((value) => {
        const p = obj(value);
        return {
          peer: str(p.peerId),
          best: p.bestpath === true,
          multipath: p.multipath === true,
          asPath: str(p.path),
          nextHops: arr(p.nexthops).map((h) => {
            const n = obj(h);
            return {
              ip: str(n.ip),
              ...(n.scope === undefined ? {} : { scope: str(n.scope) }),
              used: n.used === true,
            };
          }),
        };
      }),
    );
  }
  return routes;
}

export interface RibRoute {
  readonly prefix: string;
  readonly protocol: string;
  readonly selected: boolean;
  readonly installed: boolean;
  /** For IPv6 BGP routes the gateway is the node's link-local address. */
  readonly nextHops: readonly {
    readonly ip?: string;
    readonly interfaceName?: string;
    readonly fib: boolean;
    readonly active: boolean;
  }[];
}

/** `show ip route json` / `show ipv6 route json` (zebra's RIB): prefix → routes. */
export async function routerRib(family: BgpFamily): Promise<Map<string, RibRoute[]>> {
  const json = obj(await routerJson(family === 'ipv4' ? 'show ip route json' : 'show ipv6 route json'));
  const rib = new Map<string, RibRoute[]>();
  for (const [prefix, routes] of Object.entries(json)) {
    rib.set(
      prefix,
      arr(routes).map((value) => {
        const r = obj(value);
        return {
          prefix,
          protocol: str(r.protocol),
          selected: r.selected === true,
          installed: r.installed === true,
          nextHops: arr(r.nexthops).map((h) => {
            const n = obj(h);
            return {
              ...(typeof n.ip === 'string' ? { ip: n.ip } : {}),
              ...(typeof n.interfaceName === 'string' ? { interfaceName: n.interfaceName } : {}),
              fib: n.fib === true,
              active: n.active === true,
            };
          }),
        };
      }),
    );
  }
  return rib;
}

export interface BfdPeer {
  readonly peer: string;
  readonly local: string;
  /** 'up', 'down', 'init', 'shutdown' */
  readonly status: string;
  readonly receiveIntervalMs: number;
  readonly transmitIntervalMs: number;
  readonly detectMultiplier: number;
  readonly remoteReceiveIntervalMs: number;
  readonly remoteTransmitIntervalMs: number;
  readonly remoteDetectMultiplier: number;
}

/** `show bfd peers json`. */
export async function routerBfdPeers(): Promise<BfdPeer[]> {
  return arr(await routerJson('show bfd peers json')).map((value) => {
    const p = obj(value);
    return {
      peer: str(p.peer),
      local: str(p.local),
      status: str(p.status),
      receiveIntervalMs: num(p['receive-interval']),
      transmitIntervalMs: num(p['transmit-interval']),
      detectMultiplier: num(p['detect-multiplier']),
      remoteReceiveIntervalMs: num(p['remote-receive-interval']),
      remoteTransmitIntervalMs: num(p['remote-transmit-interval']),
      remoteDetectMultiplier: num(p['remote-detect-multiplier']),
    };
  });
}

/**
 * The next hops the router forwards `prefix` (e.g. '203.0.113.50/32') to, as the nodes' global addresses, sorted:
 * a BGP path counts when it is selected (best or multipath) and one of its next hops is in zebra's installed
 * route (for IPv6 that is the node's link-local address, mapped back through the path).
 */
export async function routerNextHops(prefix: string): Promise<string[]> {
  const family = familyOf(prefix);
  const [rib, bgp] = await Promise.all([routerRib(family), routerBgpRoutes(family)]);
  const installed = (rib.get(prefix) ?? []).find((r) => r.protocol === 'bgp' && r.selected && r.installed);
  const fib = new Set((installed?.nextHops ?? []).filter((h) => h.fib && h.ip).map((h) => h.ip));
  const hops = (bgp.get(prefix) ?? [])
    .filter((p) => (p.best || p.multipath) && p.nextHops.some((h) => fib.has(h.ip)))
    .map((p) => p.nextHops.find((h) => h.scope !== 'link-local')?.ip ?? p.peer);
  return [...new Set(hops)].sort();
}

/**
 * Waits until the router forwards `prefix` to exactly `expectedNextHops` (nodes' LAN addresses of the prefix's
 * family; [] = no route). Resolves to the milliseconds it took.
 */
export async function waitForRoute(
  prefix: string,
  expectedNextHops: readonly string[],
  options: WaitOptions = {},
): Promise<number> {
  const want = [...expectedNextHops].sort().join(' ');
  const t0 = performance.now();
  let last = '';
  await waitFor(
    async () => {
      last = (await routerNextHops(prefix)).join(' ');
      return last === want;
    },
    {
      intervalMs: 50,
      ...options,
      what: options.what ?? `router route ${prefix} via [${want}] (last: [${last}])`,
    },
  );
  return Math.round(performance.now() - t0);
}

/**
 * Gateways of the router's kernel route to `ip` (what actually forwards; IPv6 gateways are link-local), sorted;
 * [] when there is none. One `ip` process: cheap enough to poll every few tens of milliseconds.
 */
export async function routerKernelGateways(ip: string): Promise<string[]> {
  const family = ip.includes(':') ? '-6' : '-4';
  const { stdout } = await runInNetns(bgpLab().router.netns, ['ip', family, '-j', 'route', 'show', ip]);
  const routes = JSON.parse(stdout || '[]') as { gateway?: string; nexthops?: { gateway?: string }[] }[];
  const gateways = routes.flatMap((r) => (r.nexthops ?? [r]).map((h) => h.gateway ?? ''));
  return gateways.filter((g) => g !== '').sort();
}

/**
 * Sets (or with null removes) the TCP MD5 password of the router's session(s) to one node address. Per neighbor,
 * so it leaves every other session alone; call again with null to restore.
 */
export async function setRouterPeerPassword(peer: string, password: string | null): Promise<void> {
  const plan = bgpLab();
  const line = password === null ? `no neighbor ${peer} password` : `neighbor ${peer} password ${password}`;
  await vtysh(['configure terminal', `router bgp ${plan.router.asn}`, line]);
}

/** Starts the lab's iBGP peer (test/lab/bgp/ibgp-peer.ts; idempotent); resolves to its part of the plan. */
export async function startIbgpPeer(): Promise<BgpLabPlan['ibgp']> {
  const config = labConfig();
  await ensureIbgpPeer(config);
  return bgpLabPlan(config).ibgp;
}

/** Stops the lab's iBGP peer and deletes its namespace. */
export async function stopIbgpPeer(): Promise<void> {
  await removeIbgpPeer(labConfig());
}

export interface BgpPrefixPath {
  /** Session address of the neighbor the path came from. */
  readonly peer: string;
  /** 'internal' (iBGP) or 'external'. */
  readonly peerType: string;
  /** `locPrf`: the LOCAL_PREF a path arrived with; FRR shows none on eBGP paths (the attribute is iBGP only). */
  readonly localPref: number | undefined;
  readonly communities: readonly string[];
  readonly largeCommunities: readonly string[];
  readonly best: boolean;
  readonly multipath: boolean;
}

/** `show bgp <family> unicast <prefix> json` on `instance` (default: the router): the prefix's paths, [] if none. */
export async function bgpPrefixPaths(prefix: string, instance?: FrrInstance): Promise<BgpPrefixPath[]> {
  const text = await vtysh([`show bgp ${familyOf(prefix)} unicast ${prefix} json`], instance);
  const json = obj(text.trim() === '' ? {} : (JSON.parse(text) as unknown));
  if (json.prefix !== prefix) return [];
  return arr(json.paths).map((value) => {
    const p = obj(value);
    const peer = obj(p.peer);
    return {
      peer: str(peer.peerId),
      peerType: str(peer.type),
      localPref: typeof p.locPrf === 'number' ? p.locPrf : undefined,
      communities: arr(obj(p.community).list).map(str),
      largeCommunities: arr(obj(p.largeCommunity).list).map(str),
      best: obj(p.bestpath).overall === true,
      multipath: p.multipath === true,
    };
  });
}

/** The FRR instance a speaker's sidecar would be on `node`. */
export function nodeFrr(node: string): FrrInstance {
  const instance = bgpLab().nodes.find((n) => n.netns === node);
  if (!instance) throw new Error(`no FRR instance for lab node ${node}`);
  return instance;
}

/** The speaker flags that make it drive `node`'s FRR instance (BGP mode), as the chart's sidecar wiring does. */
export function bgpSpeakerArgs(node: string): string[] {
  const frr = nodeFrr(node);
  return ['--bgp-frr-config', frr.configDir, '--bgp-frr-instance', frr.name];
}

/**
 * Built speakers in BGP mode on `nodes`, each driving its node's FRR instance; `args` are the suite's own flags
 * (class, log level, session poll…), `name` and `ports` its isolation.
 */
export function startBgpSpeakers(o: {
  nodes: readonly string[];
  name: string;
  ports: { metrics: number; membership: number };
  args: readonly string[];
}): SpeakerSet {
  const speakers = new SpeakerSet({ nodes: o.nodes, args: o.args, ports: o.ports, name: o.name });
  for (const node of o.nodes) speakers.start(node, bgpSpeakerArgs(node));
  return speakers;
}

/**
 * `neighbor <address> shutdown` on the lab router, remembered so a suite's afterAll can undo it with `restore()`
 * (the router is shared by every BGP suite: a neighbor left shut breaks the next one).
 */
export class RouterNeighborSwitch {
  #shut: string | undefined;

  async set(address: string, shut: boolean): Promise<void> {
    const line = `${shut ? '' : 'no '}neighbor ${address} shutdown`;
    await vtysh(['configure terminal', `router bgp ${bgpLab().router.asn}`, line]);
    this.#shut = shut ? address : undefined;
  }

  /** Re-enables the neighbor this switch shut, if any. */
  async restore(): Promise<void> {
    if (this.#shut !== undefined) await this.set(this.#shut, false);
  }
}

/** Waits until every node's speaker (metrics on `metricsPort`) reports `sessions` BGP sessions Established. */
export async function waitForBgpSessions(o: {
  nodes: readonly string[];
  metricsPort: number;
  sessions: number;
  timeoutMs: number;
}): Promise<void> {
  const metric = speakerMetrics(o.metricsPort);
  await waitFor(
    async () => {
      for (const node of o.nodes)
        if ((await metric(node, 'ironlb_bgp_sessions_up')) !== o.sessions) return false;
      return true;
    },
    {
      what: `every speaker with ${o.sessions} BGP session(s) Established`,
      timeoutMs: o.timeoutMs,
      intervalMs: 500,
    },
  );
}

/** Writes `text` as the node's frr.conf and applies it with frr-reload.py (what the speaker's sidecar does). */
export async function applyNodeFrrConfig(node: string, text: string): Promise<void> {
  const instance = nodeFrr(node);
  writeFileSync(instance.configPath, text);
  const [command = 'python3', ...args] = instance.reload;
  await run(command, [...args, instance.configPath], { timeoutMs: 60_000 });
}

// Runs inside the BGP client namespace: `count` GETs, each on a new connection (so a new source port), one JSON line.
const MANY_GETS = `
const [url, count, ms] = process.argv.slice(1);
const results = [];
for (let i = 0; i < Number(count); i++) {
  try {
    const r = await fetch(url, { signal: AbortSignal.timeout(Number(ms)), headers: { connection: 'close' } });
    results.push({ ok: true, status: r.status, body: await r.text() });
  } catch (e) {
    results.push({ ok: false, error: String(e?.cause?.code ?? e?.name ?? e) });
  }
}
process.stdout.write(JSON.stringify(results));
`;

/** `count` HTTP GETs from the BGP client namespace (behind the router), each on its own TCP connection. */
export async function httpGetsFromBgpClient(options: {
  ip: string;
  port?: number;
  count: number;
  timeoutMs?: number;
}): Promise<HttpGetResult[]> {
  const config = labConfig();
  const timeoutMs = options.timeoutMs ?? 2_000;
  const { stdout } = await runInNetns(
    bgpLab().client.netns,
    [
      process.execPath,
      '--input-type=module',
      '-e',
      MANY_GETS,
      urlFor(options.ip, options.port ?? config.responderPort),
      `${options.count}`,
      `${timeoutMs}`,
    ],
    { timeoutMs: options.count * timeoutMs + 10_000 },
  );
  return JSON.parse(stdout) as HttpGetResult[];
}
