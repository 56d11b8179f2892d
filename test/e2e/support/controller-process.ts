import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { V1Service } from '@kubernetes/client-node';
import { labKubeconfigPath } from './kube.js';
import { waitFor } from './wait.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/**
 * The lab is shared with other suites, which may run their own controller (default: Services without
 * a class) and pools that serve every namespace. Test Services here carry this class and this label;
 * controllers started here handle the class and watch only labelled Services, so the two never write
 * to each other's Services.
 */
export const E2E_LABEL = 'ironlb.io/e2e-controller';
export const E2E_CLASS = 'ironlb.io/e2e';

/** One `node controller/dist/main.js` child (the build: run `pnpm build` first). */
export interface ControllerProcess {
  readonly pid: number;
  readonly port: number;
  readonly identity: string;
  readonly child: ChildProcess;
  /** The last ~200 kB of its JSON log lines. */
  logs(): string;
  exited(): boolean;
  /** Sends `signal` to this PID only and waits for the exit; resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export function startController(o: {
  port: number;
  identity?: string;
  args?: readonly string[];
}): ControllerProcess {
  const identity = o.identity ?? `e2e-${o.port}`;
  const child = spawn(
    process.execPath,
    [
      'controller/dist/main.js',
      '--metrics-host=127.0.0.1',
      `--metrics-port=${o.port}`,
      `--identity=${identity}`,
      '--log-level=debug',
      `--service-label-selector=${E2E_LABEL}`,
      `--load-balancer-class=${E2E_CLASS}`,
      ...(o.args ?? []),
    ],
    {
      cwd: ROOT,
      env: { ...process.env, KUBECONFIG: labKubeconfigPath() },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let log = '';
  const keep = (chunk: Buffer): void => {
    log = (log + chunk.toString('utf8')).slice(-200_000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  let exit: number | null | undefined;
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => {
      exit = code;
      resolve(code);
    });
  });
  if (child.pid === undefined) throw new Error('controller did not start');
  return {
    pid: child.pid,
    port: o.port,
    identity,
    child,
    logs: () => log,
    exited: () => exit !== undefined,
    stop: async (signal = 'SIGTERM') => {
      if (exit === undefined) child.kill(signal);
      return exited;
    },
  };
}

/** GET http://127.0.0.1:port/path → [status, body]; undefined when nothing listens. */
export async function opsGet(port: number, path: string): Promise<[number, string] | undefined> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}${path}`);
    return [res.status, await res.text()];
  } catch {
    return undefined;
  }
}

export async function waitReady(c: ControllerProcess, timeoutMs = 20_000): Promise<void> {
  await waitFor(async () => (await opsGet(c.port, '/readyz'))?.[0] === 200, {
    what: `controller ${c.identity} ready`,
    timeoutMs,
    intervalMs: 100,
  });
}

/** IPs in status.loadBalancer.ingress. */
export function ingressIPs(svc: V1Service): string[] {
  return (svc.status?.loadBalancer?.ingress ?? []).flatMap((i) => (i.ip ? [i.ip] : []));
}

/** A plain LoadBalancer Service body. */
export function lbService(o: {
  name: string;
  ports?: number[];
  annotations?: Record<string, string>;
  loadBalancerIP?: string;
  /** Default E2E_CLASS. */
  loadBalancerClass?: string;
  ipFamilyPolicy?: 'SingleStack' | 'PreferDualStack' | 'RequireDualStack';
  ipFamilies?: ('IPv4' | 'IPv6')[];
  /** IPv6 SingleStack without node ports: spares the lab's small IPv4 Service CIDR and node ports. */
  ipv6Only?: boolean;
}): V1Service {
  return {
    metadata: {
      name: o.name,
      labels: { [E2E_LABEL]: 'true' },
      ...(o.annotations ? { annotations: o.annotations } : {}),
    },
    spec: {
      type: 'LoadBalancer',
      selector: { app: o.name },
      ports: (o.ports ?? [80]).map((port) => ({ port, protocol: 'TCP', name: `p${port}` })),
      ...(o.loadBalancerIP ? { loadBalancerIP: o.loadBalancerIP } : {}),
      loadBalancerClass: o.loadBalancerClass ?? E2E_CLASS,
      ...(o.ipFamilyPolicy ? { ipFamilyPolicy: o.ipFamilyPolicy } : {}),
      ...(o.ipFamilies ? { ipFamilies: o.ipFamilies } : {}),
      ...(o.ipv6Only
        ? { ipFamilyPolicy: 'SingleStack', ipFamilies: ['IPv6'], allocateLoadBalancerNodePorts: false }
        : {}),
    },
  };
}
