import { runInNetns } from './exec.js';

export type HttpGetResult =
  | { readonly ok: true; readonly status: number; readonly body: string }
  | { readonly ok: false; readonly error: string };

// Runs inside the namespace: prints one JSON line, never throws, exits promptly.
const SCRIPT = `
const [url, ms] = process.argv.slice(1);
const out = (v) => { process.stdout.write(JSON.stringify(v)); process.exit(0); };
fetch(url, { signal: AbortSignal.timeout(Number(ms)), headers: { connection: 'close' } })
  .then(async (r) => out({ ok: true, status: r.status, body: await r.text() }))
  .catch((e) => out({ ok: false, error: String(e?.cause?.code ?? e?.name ?? e) }));
`;

/** `http://<ip>:<port>/` for an IPv4 or IPv6 literal. */
export function urlFor(ip: string, port = 80): string {
  return ip.includes(':') ? `http://[${ip}]:${port}/` : `http://${ip}:${port}/`;
}

/**
 * HTTP GET from inside network namespace `netns` (e.g. the lab client) with a hard timeout. Failures (timeout,
 * refused, unreachable) are values, not exceptions.
 */
export async function httpGetInNetns(options: {
  netns: string;
  url: string;
  timeoutMs?: number;
}): Promise<HttpGetResult> {
  const timeoutMs = options.timeoutMs ?? 2_000;
  const { stdout } = await runInNetns(
    options.netns,
    [process.execPath, '-e', SCRIPT, options.url, `${timeoutMs}`],
    {
      timeoutMs: timeoutMs + 10_000,
    },
  );
  return JSON.parse(stdout) as HttpGetResult;
}
