// Runs inside the client network namespace (plain `node`, type stripping, node: imports only): opens a new
// HTTP connection to http://<ip>/ every <intervalMs> and prints one JSON line per attempt:
// {"t": epoch ms, "connected": bool, "node": "<responder>" | null}. `connected` says whether the TCP handshake
// completed; `node` whether the whole HTTP exchange did. Stops after <durationMs> or on SIGTERM.
import http from 'node:http';

const [ip = '', intervalMs = '10', durationMs = '60000', timeoutMs = '200'] = process.argv.slice(2);
const end = Date.now() + Number(durationMs);
const state = { stopping: false };
process.on('SIGTERM', () => {
  state.stopping = true;
});

interface Sample {
  t: number;
  connected: boolean;
  node: string | null;
}

function probe(): Promise<Sample> {
  const t = Date.now();
  let connected = false;
  return new Promise((resolve) => {
    const req = http.get(
      { hostname: ip, port: 80, path: '/', agent: false, timeout: Number(timeoutMs) },
      (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => {
          body += chunk.toString();
        });
        res.on('end', () => {
          resolve({ t, connected: true, node: body.trim() || null });
        });
      },
    );
    req.on('socket', (socket) => {
      socket.on('connect', () => {
        connected = true;
      });
    });
    req.on('timeout', () => {
      req.destroy(new Error('timeout'));
    });
    req.on('error', () => {
      resolve({ t, connected, node: null });
    });
  });
}

// Attempts start every intervalMs whether or not earlier ones finished, so a dead path is sampled every
// intervalMs too; at most 100 attempts are in flight.
let inFlight = 0;
const timer = setInterval(() => {
  if (state.stopping || Date.now() >= end) {
    clearInterval(timer);
    const done = setInterval(() => {
      if (inFlight === 0) {
        clearInterval(done);
        process.exit(0);
      }
    }, 5);
    return;
  }
  if (inFlight >= 100) return;
  inFlight++;
  void probe().then((sample) => {
    inFlight--;
    process.stdout.write(`${JSON.stringify(sample)}\n`);
  });
}, Number(intervalMs));
