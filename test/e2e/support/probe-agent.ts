// Runs inside the client network namespace (plain `node`, type stripping, node: imports only): opens a new
// HTTP connection to http://<ip>/ every <intervalMs> and prints one JSON line per attempt:
// {"t": epoch ms, "node": "<responder>" | null}. Stops after <durationMs> or on SIGTERM.
import http from 'node:http';

const [ip = '', intervalMs = '10', durationMs = '60000', timeoutMs = '200'] = process.argv.slice(2);
const end = Date.now() + Number(durationMs);
const state = { stopping: false };
process.on('SIGTERM', () => {
  state.stopping = true;
});

interface Sample {
  t: number;
  node: string | null;
}

function probe(): Promise<Sample> {
  const t = Date.now();
  return new Promise((resolve) => {
    const req = http.get(
      { hostname: ip, port: 80, path: '/', agent: false, timeout: Number(timeoutMs) },
      (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => {
          body += chunk.toString();
        });
        res.on('end', () => {
          resolve({ t, node: body.trim() || null });
        });
      },
    );
    req.on('timeout', () => {
      req.destroy(new Error('timeout'));
    });
    req.on('error', () => {
      resolve({ t, node: null });
    });
  });
}

while (!state.stopping && Date.now() < end) {
  const started = Date.now();
  const sample = await probe();
  process.stdout.write(`${JSON.stringify(sample)}\n`);
  const wait = Number(intervalMs) - (Date.now() - started);
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
}
process.exit(0);
