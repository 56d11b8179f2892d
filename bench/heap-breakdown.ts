/**
 * Where the memory of the built speaker and controller goes (issue 11, "measure first").
 *
 *   pnpm --filter @ironlb/bench bench:heap-breakdown speaker [--node-flags "--max-semi-space-size=1"]
 *   pnpm --filter @ironlb/bench bench:heap-breakdown controller [--services 2000]
 *   pnpm --filter @ironlb/bench bench:heap-breakdown modules
 *   pnpm --filter @ironlb/bench bench:heap-breakdown analyse <file.heapsnapshot>
 *   ... speaker|controller --cgroup /sys/fs/cgroup/memory/<dir>   (run the process in that existing cgroup)
 *
 * speaker: one `node speaker/dist/main.js` in the lab node namespace ilb-node-1 (own ports 24931/24996, a class
 * no Service uses, so it announces nothing), started with --heapsnapshot-signal=SIGUSR2. controller: `node
 * controller/dist/main.js` (port 17590, class ironlb.io/heap-bench, label ironlb.io/heap-bench, so it handles only
 * this script's Services; with --services N it first creates N IPv6 status-only Services and waits until all
 * have an IP). Both: settle 20 s, VmRSS/RssAnon/RssFile sampled 5 times 2 s apart (medians), heap and external
 * from the process' own prom-client default metrics, then SIGUSR2 → a main-isolate heap snapshot in
 * /tmp/ilb-heap, analysed below. `modules` measures what each library (and the native heartbeat thread) costs
 * on its own in bare Node processes.
 * The lab must be up and `pnpm build` done. Every process started here is stopped by PID.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { labConfig, labPaths } from '../test/lab/config.js';
import { registerLabUser, releaseLabUser } from '../test/lab/sharing.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const OUT = '/tmp/ilb-heap';
const SPEAKER_NETNS = 'ilb-node-1';
const SPEAKER_METRICS = 24931;
const SPEAKER_MEMBERSHIP = 24996;
const CONTROLLER_PORT = 17590;
const CLASS = 'ironlb.io/heap-bench';
const LABEL = 'ironlb.io/heap-bench';
const kubeconfig = (): string => process.env.KUBECONFIG ?? labPaths(labConfig()).kubeconfig;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const MiB = (bytes: number): string => (bytes / 1048576).toFixed(1);

// ---------------------------------------------------------------- snapshot analysis

interface Snapshot {
  snapshot: {
    meta: { node_fields: string[]; node_types: [string[]]; edge_fields: string[]; edge_types: [string[]] };
  };
  nodes: number[];
  edges: number[];
  strings: string[];
}

/** Package (or node: built-in / file) a script URL belongs to. */
function moduleOf(url: string): string {
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/');
    return rest[0]?.startsWith('@') ? `${rest[0]}/${rest[1]}` : (rest[0] ?? url);
  }
  if (url.startsWith('node:')) return '(node built-ins)';
  const own = /\/(speaker|controller|shared)\/dist\//.exec(url);
  if (own) return `@ironlb/${own[1]}`;
  return url === '' ? '(no script)' : '(node built-ins)';
}

export interface Breakdown {
  total: number;
  byType: [string, number][];
  byConstructor: [string, number, number][];
  codeByModule: [string, number][];
}

/**
 * Self sizes by node type and by constructor name; code (closures, SharedFunctionInfos, bytecode, feedback,
 * script sources) attributed to the package of its script (closure →shared→ SFI →script→ Script →name→ URL).
 */
export function analyse(file: string): Breakdown {
  const s = JSON.parse(readFileSync(file, 'utf8')) as Snapshot;
  const nf = s.snapshot.meta.node_fields;
  const ef = s.snapshot.meta.edge_fields;
  const nodeTypes = s.snapshot.meta.node_types[0];
  const edgeTypes = s.snapshot.meta.edge_types[0];
  const N = nf.length;
  const E = ef.length;
  const [T, NAME, SIZE, EC] = ['type', 'name', 'self_size', 'edge_count'].map((f) => nf.indexOf(f));
  const [ET, ENAME, ETO] = ['type', 'name_or_index', 'to_node'].map((f) => ef.indexOf(f));
  const count = s.nodes.length / N;
  const firstEdge = new Uint32Array(count + 1);
  for (let i = 0, e = 0; i < count; i++) {
    firstEdge[i] = e;
    e += (s.nodes[i * N + (EC as number)] as number) * E;
    firstEdge[i + 1] = e;
  }
  const type = (i: number): string => nodeTypes[s.nodes[i * N + (T as number)] as number] ?? '?';
  const name = (i: number): string => s.strings[s.nodes[i * N + (NAME as number)] as number] ?? '';
  const size = (i: number): number => s.nodes[i * N + (SIZE as number)] as number;
  const edge = (i: number, edgeName: string): number | undefined => {
    for (let e = firstEdge[i] as number; e < (firstEdge[i + 1] as number); e += E) {
      const et = edgeTypes[s.edges[e + (ET as number)] as number];
      if (et === 'element' || et === 'hidden') continue;
      if (s.strings[s.edges[e + (ENAME as number)] as number] === edgeName)
        return (s.edges[e + (ETO as number)] as number) / N;
    }
    return undefined;
  };
  const byType = new Map<string, number>();
  const byCtor = new Map<string, [number, number]>();
  const codeByModule = new Map<string, number>();
  const counted = new Uint8Array(count);
  const addCode = (mod: string, i: number | undefined): void => {
    if (i === undefined || counted[i]) return;
    counted[i] = 1;
    codeByModule.set(mod, (codeByModule.get(mod) ?? 0) + size(i));
  };
  const scriptModule = (script: number | undefined): string => {
    if (script === undefined) return '(no script)';
    const n = edge(script, 'name');
    return moduleOf(n === undefined ? '' : name(n));
  };
  const addClosure = (i: number): void => {
    const sfi = edge(i, 'shared');
    const script = sfi === undefined ? undefined : edge(sfi, 'script');
    const mod = scriptModule(script);
    addCode(mod, i);
    addCode(mod, edge(i, 'feedback_cell'));
    if (sfi === undefined) return;
    addCode(mod, sfi);
    addCode(mod, edge(sfi, 'bytecode') ?? edge(sfi, 'function_data'));
    addCode(mod, edge(sfi, 'code'));
    if (script !== undefined) addCode(mod, edge(script, 'source'));
  };
  let total = 0;
  for (let i = 0; i < count; i++) {
    const t = type(i);
    total += size(i);
    byType.set(t, (byType.get(t) ?? 0) + size(i));
    const key = t === 'object' || t === 'closure' || t === 'native' ? name(i) : `(${t})`;
    const c = byCtor.get(key) ?? [0, 0];
    c[0] += size(i);
    c[1] += 1;
    byCtor.set(key, c);
    if ((t === 'code' || t === 'hidden') && name(i) === 'system / Script') {
      // Every loaded script keeps its whole source text alive (lazy compilation re-parses it).
      addCode(scriptModule(i), edge(i, 'source'));
    }
    if (t === 'closure') addClosure(i);
  }
  const sorted = <V>(m: Map<string, V>, by: (v: V) => number): [string, V][] =>
    [...m.entries()].sort((a, b) => by(b[1]) - by(a[1]));
  return {
    total,
    byType: sorted(byType, (v) => v),
    byConstructor: sorted(byCtor, (v) => v[0]).map(([k, [b, n]]) => [k, b, n]),
    codeByModule: sorted(codeByModule, (v) => v),
  };
}

function printBreakdown(b: Breakdown, top = 25): void {
  console.log(`heap snapshot: ${MiB(b.total)} MiB self size in total`);
  console.log('by node type (MiB):');
  for (const [t, v] of b.byType.slice(0, 12)) console.log(`  ${t.padEnd(24)} ${MiB(v).padStart(7)}`);
  console.log(`top ${top} by constructor / type (MiB, count):`);
  for (const [k, v, n] of b.byConstructor.slice(0, top))
    console.log(`  ${k.slice(0, 48).padEnd(48)} ${MiB(v).padStart(7)} ${String(n).padStart(8)}`);
  console.log('code by package (script sources + closures + SharedFunctionInfo + bytecode + feedback, MiB):');
  for (const [k, v] of b.codeByModule.slice(0, 15)) console.log(`  ${k.padEnd(32)} ${MiB(v).padStart(7)}`);
  const code = b.codeByModule.reduce((sum, [, v]) => sum + v, 0);
  console.log(
    `  ${'(all code)'.padEnd(32)} ${MiB(code).padStart(7)}; everything else (data) ${MiB(b.total - code)}`,
  );
}

// ---------------------------------------------------------------- process sampling

interface Mem {
  rss: number;
  anon: number;
  file: number;
}

function status(pid: number): Mem {
  const text = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (f: string): number => Number(new RegExp(`${f}:\\s+(\\d+)`).exec(text)?.[1] ?? NaN) * 1024;
  return { rss: kb('VmRSS'), anon: kb('RssAnon'), file: kb('RssFile') };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

async function sampleMem(pid: number): Promise<Mem> {
  const samples: Mem[] = [];
  for (let i = 0; i < 5; i++) {
    samples.push(status(pid));
    await sleep(2000);
  }
  return {
    rss: median(samples.map((m) => m.rss)),
    anon: median(samples.map((m) => m.anon)),
    file: median(samples.map((m) => m.file)),
  };
}

/** prom-client default metrics (`*_nodejs_heap_size_used_bytes`, `*_nodejs_external_memory_bytes`, ...). */
function memoryMetrics(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m =
      /^\w*?(nodejs_heap_size_used_bytes|nodejs_heap_size_total_bytes|nodejs_external_memory_bytes|nodejs_heap_space_size_used_bytes\{space="(\w+)"\}) (\S+)/.exec(
        line,
      );
    if (m) out.set(m[2] ? `space ${m[2]}` : (m[1] as string), Number(m[3]));
  }
  return out;
}

async function snapshotOf(pid: number, cwd: string): Promise<string> {
  const before = new Set(readdirSync(cwd));
  process.kill(pid, 'SIGUSR2');
  for (let i = 0; i < 600; i++) {
    await sleep(500);
    const file = readdirSync(cwd).find((f) => f.endsWith('.heapsnapshot') && !before.has(f));
    if (file) {
      // Written in chunks, with pauses: complete once the JSON object is closed (`"strings":[...]}` is last).
      for (;;) {
        if (readFileSync(join(cwd, file), 'utf8').trimEnd().endsWith(']}')) return join(cwd, file);
        await sleep(1000);
      }
    }
  }
  throw new Error('no heap snapshot after 300 s');
}

function report(o: { label: string; mem: Mem; metrics: Map<string, number>; loadavg: string }): void {
  console.log(`\n== ${o.label} (node ${process.version}; load ${o.loadavg})`);
  console.log(
    `VmRSS ${MiB(o.mem.rss)} MiB (RssAnon ${MiB(o.mem.anon)}, RssFile ${MiB(o.mem.file)}), medians of 5 samples 2 s apart`,
  );
  for (const [k, v] of o.metrics) console.log(`  ${k.padEnd(40)} ${MiB(v).padStart(7)} MiB`);
}

const loadavg = (): string => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.pid === undefined) return Promise.resolve();
  const exited = new Promise<void>((r) => {
    child.once('exit', () => {
      r();
    });
  });
  child.kill('SIGTERM');
  const timer = setTimeout(() => {
    child.kill('SIGKILL');
  }, 10_000);
  return exited.finally(() => {
    clearTimeout(timer);
  });
}

async function measure(o: {
  label: string;
  child: ChildProcess;
  metrics: () => string;
  cwd: string;
}): Promise<void> {
  await sleep(20_000);
  const pid = o.child.pid as number;
  const mem = await sampleMem(pid);
  report({ label: o.label, mem, metrics: memoryMetrics(o.metrics()), loadavg: loadavg() });
  const file = await snapshotOf(pid, o.cwd);
  console.log(`snapshot ${file}`);
  printBreakdown(analyse(file));
}

function nodeFlags(): string[] {
  const i = process.argv.indexOf('--node-flags');
  return i >= 0 ? (process.argv[i + 1] ?? '').split(' ').filter(Boolean) : [];
}

/**
 * `--cgroup DIR`: the measured process runs in that (existing) cgroup, as in a pod with a memory limit: a shell
 * moves itself into DIR/cgroup.procs and execs the command, so nothing else of this script is charged there.
 */
function inCgroup(command: string, args: string[]): [string, string[]] {
  const i = process.argv.indexOf('--cgroup');
  const dir = i >= 0 ? process.argv[i + 1] : undefined;
  if (dir === undefined) return [command, args];
  return ['sh', ['-c', 'echo $$ > "$0/cgroup.procs" && exec "$@"', dir, command, ...args]];
}

/** `--speaker-main FILE`: another build of the speaker to measure (default the built speaker/dist/main.js). */
function speakerMain(): string {
  const i = process.argv.indexOf('--speaker-main');
  return i >= 0 && process.argv[i + 1] ? resolve(process.argv[i + 1]!) : join(ROOT, 'speaker/dist/main.js');
}

async function speaker(): Promise<void> {
  const cwd = join(OUT, `speaker-${Date.now()}`);
  mkdirSync(cwd, { recursive: true });
  const flags = nodeFlags();
  const child = spawn(
    ...inCgroup('ip', [
      'netns',
      'exec',
      SPEAKER_NETNS,
      process.execPath,
      '--heapsnapshot-signal=SIGUSR2',
      ...flags,
      speakerMain(),
      `--metrics-port=${SPEAKER_METRICS}`,
      `--membership-port=${SPEAKER_MEMBERSHIP}`,
      `--load-balancer-class=${CLASS}`,
      '--log-level=warn',
    ]),
    {
      cwd,
      stdio: ['ignore', 'inherit', 'inherit'],
      env: {
        ...process.env,
        NODE_NAME: SPEAKER_NETNS,
        KUBECONFIG: kubeconfig(),
        IRONLB_MEMBERSHIP_SECRET: 'heap-bench-secret-0123456789',
      },
    },
  );
  registerLabUser(labConfig());
  const curl = (path: string): string =>
    execFileSync(
      'ip',
      ['netns', 'exec', SPEAKER_NETNS, 'curl', '-sf', `http://127.0.0.1:${SPEAKER_METRICS}${path}`],
      {
        encoding: 'utf8',
      },
    );
  try {
    await until(() => curl('/readyz').includes('ok'), 'speaker ready');
    await measure({
      label: `speaker idle, node flags [${flags.join(' ')}]`,
      child,
      metrics: () => curl('/metrics'),
      cwd,
    });
  } finally {
    await stopChild(child);
    releaseLabUser(labConfig());
  }
}

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    try {
      if (check()) return;
    } catch {
      // not up yet
    }
    await sleep(200);
  }
  throw new Error(`${what}: not within 120 s`);
}

function kubectl(args: string[], input?: string): string {
  return execFileSync(join(labConfig().k8sBinDir, 'kubectl'), ['--kubeconfig', kubeconfig(), ...args], {
    encoding: 'utf8',
    ...(input === undefined ? {} : { input }),
  });
}

async function controller(): Promise<void> {
  const i = process.argv.indexOf('--services');
  const services = i >= 0 ? Number(process.argv[i + 1]) : 0;
  const cwd = join(OUT, `controller-${Date.now()}`);
  mkdirSync(cwd, { recursive: true });
  const ns = `heap-bench-${process.pid}`;
  const flags = nodeFlags();
  registerLabUser(labConfig());
  kubectl(['apply', '--server-side', '--force-conflicts', '-f', join(ROOT, 'charts/ironlb/crds/')]);
  kubectl(['create', 'namespace', ns]);
  kubectl(
    ['apply', '-f', '-'],
    `apiVersion: ironlb.io/v1alpha1\nkind: IPPool\nmetadata: {name: heap-bench}\nspec:\n  addresses: ['2001:db8:100:0:7::/112']\n  serviceAllocation: {priority: 0, namespaces: [${ns}]}\n`,
  );
  const child = spawn(
    ...inCgroup(process.execPath, [
      '--heapsnapshot-signal=SIGUSR2',
      ...flags,
      join(ROOT, 'controller/dist/main.js'),
      '--metrics-host=127.0.0.1',
      `--metrics-port=${CONTROLLER_PORT}`,
      '--log-level=warn',
      `--service-label-selector=${LABEL}=yes`,
      `--load-balancer-class=${CLASS}`,
    ]),
    { cwd, stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, KUBECONFIG: kubeconfig() } },
  );
  const get = (path: string): string =>
    execFileSync('curl', ['-sf', `http://127.0.0.1:${CONTROLLER_PORT}${path}`], { encoding: 'utf8' });
  try {
    await until(() => get('/readyz').length >= 0, 'controller ready');
    if (services > 0) await createAndWait(ns, services);
    await measure({
      label: `controller, ${services} Services, node flags [${flags.join(' ')}]`,
      child,
      metrics: () => get('/metrics'),
      cwd,
    });
  } finally {
    await stopChild(child);
    kubectl(['delete', 'namespace', ns, '--wait=false']);
    kubectl(['delete', 'ippool', 'heap-bench', '--ignore-not-found']);
    releaseLabUser(labConfig());
  }
}

/** N status-only IPv6 Services of our class and label; returns once all have an ingress IP. */
async function createAndWait(ns: string, n: number): Promise<void> {
  const t0 = Date.now();
  const batch = 100;
  for (let from = 0; from < n; from += batch) {
    const docs = Array.from({ length: Math.min(batch, n - from) }, (_v, k) =>
      [
        'apiVersion: v1',
        'kind: Service',
        `metadata: {name: svc-${from + k}, namespace: ${ns}, labels: {${LABEL}: "yes"}}`,
        'spec:',
        '  type: LoadBalancer',
        `  loadBalancerClass: ${CLASS}`,
        '  ipFamilyPolicy: SingleStack',
        '  ipFamilies: [IPv6]',
        '  allocateLoadBalancerNodePorts: false',
        `  selector: {app: svc-${from + k}}`,
        '  ports: [{port: 80, protocol: TCP}]',
      ].join('\n'),
    );
    kubectl(['apply', '-f', '-'], docs.join('\n---\n'));
  }
  console.log(`${n} Services created in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  for (;;) {
    const out = kubectl([
      'get',
      'services',
      '-n',
      ns,
      '-o',
      'jsonpath={range .items[*]}{.status.loadBalancer.ingress[0].ip}{"\\n"}{end}',
    ]);
    const withIp = out.split('\n').filter(Boolean).length;
    if (withIp >= n) break;
    await sleep(3000);
  }
  console.log(`all ${n} allocated ${((Date.now() - t0) / 1000).toFixed(0)} s after the first create`);
}

// ---------------------------------------------------------------- bare-Node library costs

/** RSS / heapUsed / external of a bare Node process after `code` ran and 3 s passed (median of 3 runs). */
function probe(code: string): { rss: number; heap: number; ext: number } {
  const runs = [0, 1, 2].map(() => {
    const out = execFileSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `${code}\nawait new Promise((r) => setTimeout(r, 3000)); const m = process.memoryUsage(); console.log(JSON.stringify({ rss: m.rss, heap: m.heapUsed, ext: m.external + m.arrayBuffers }));`,
      ],
      { cwd: join(ROOT, 'speaker'), encoding: 'utf8' },
    );
    return JSON.parse(out.trim().split('\n').pop() ?? '{}') as { rss: number; heap: number; ext: number };
  });
  return {
    rss: median(runs.map((r) => r.rss)),
    heap: median(runs.map((r) => r.heap)),
    ext: median(runs.map((r) => r.ext)),
  };
}

function modules(): void {
  const addon = join(ROOT, 'packet-socket/dist/heartbeat-thread.js');
  if (!existsSync(addon)) throw new Error(`${addon} missing: pnpm build first`);
  // The speaker's heartbeat sender: a native thread of the packet-socket addon (kept referenced, running).
  const heartbeat = `const { startHeartbeatThread } = await import('@ironlb/packet-socket'); globalThis.hb = startHeartbeatThread({ startMs: 0, intervalMs: 100, capacity: 22 });`;
  const cases: [string, string][] = [
    ['bare node', ''],
    ['+ @kubernetes/client-node', "await import('@kubernetes/client-node');"],
    ['+ pino', "await import('pino');"],
    ['+ prom-client (default metrics)', "const p = await import('prom-client'); p.collectDefaultMetrics();"],
    ['+ fastify', "await import('fastify');"],
    ['+ heartbeat thread (native, idle)', heartbeat],
    [
      '+ all of the above',
      `await import('@kubernetes/client-node'); await import('pino'); (await import('prom-client')).collectDefaultMetrics(); await import('fastify'); ${heartbeat}`,
    ],
  ];
  console.log(
    `bare Node processes (cwd speaker/, node ${process.version}; load ${loadavg()}); medians of 3 runs:`,
  );
  console.log(
    `  ${'case'.padEnd(36)} ${'RSS'.padStart(7)} ${'heapUsed'.padStart(9)} ${'external'.padStart(9)} MiB`,
  );
  let base = 0;
  for (const [label, code] of cases) {
    const r = probe(code);
    if (label === 'bare node') base = r.rss;
    console.log(
      `  ${label.padEnd(36)} ${MiB(r.rss).padStart(7)} ${MiB(r.heap).padStart(9)} ${MiB(r.ext).padStart(9)}   (RSS +${MiB(r.rss - base)})`,
    );
  }
}

// ---------------------------------------------------------------- main

const mode = process.argv[2];
if (mode === 'analyse') printBreakdown(analyse(process.argv[3] ?? ''), 40);
else if (mode === 'speaker') await speaker();
else if (mode === 'controller') await controller();
else if (mode === 'modules') modules();
else {
  console.error(
    'usage: heap-breakdown speaker|controller|modules|analyse <file> [--node-flags "..."] [--services N]',
  );
  process.exitCode = 2;
}
