/** Stand-in processes are configured only through their environment (set by node-agents.ts). */
export function requiredEnv(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') {
    process.stderr.write(`missing environment variable ${name}\n`);
    process.exit(2);
  }
  return value;
}

/** One JSON line per event on stdout (the lab redirects it to the stand-in's log file). */
export function log(msg: string, fields: Record<string, unknown> = {}): void {
  process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), msg, ...fields })}\n`);
}

export function errorText(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

/** Exit promptly on SIGTERM/SIGINT without any farewell write: a stopped stand-in must look like a dead node. */
export function exitOnSignals(): void {
  for (const sig of ['SIGTERM', 'SIGINT'] as const) {
    process.on(sig, () => {
      log('stopping', { signal: sig });
      process.exit(0);
    });
  }
}
