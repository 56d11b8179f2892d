#!/usr/bin/env node
// Entry point of the speaker: the only place that reads flags and the environment.
import { readFileSync } from 'node:fs';
import { createOpsServer } from '@ironlb/shared/http';
import { createKubeClients } from '@ironlb/shared/kube';
import { createLogger, installCrashHandlers } from '@ironlb/shared/log';
import { createSpeakerMetrics } from './metrics.js';
import { HELP, parseSpeakerOptions } from './options.js';
import { Speaker } from './speaker.js';

async function main(): Promise<number> {
  const parsed = parseSpeakerOptions({ argv: process.argv.slice(2), env: process.env });
  if (!parsed.ok) {
    process.stderr.write(`ironlb speaker: ${parsed.error}\n\n${HELP}`);
    return 2;
  }
  const o = parsed.value;
  if (o.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const secretText = o.membershipSecretFile
    ? readFileSync(o.membershipSecretFile, 'utf8').trim()
    : (process.env.IRONLB_MEMBERSHIP_SECRET ?? '');
  if (secretText.length < 16) {
    process.stderr.write('ironlb speaker: the membership secret must be at least 16 characters\n');
    return 2;
  }
  const logger = createLogger({ level: o.logLevel, name: 'ironlb-speaker', base: { node: o.nodeName } });
  installCrashHandlers({ logger });
  const clients = await createKubeClients({ kubeconfigPath: o.kubeconfig });
  if (!clients.ok) {
    logger.error({ error: clients.error }, 'cannot reach Kubernetes');
    return 1;
  }
  const metrics = createSpeakerMetrics();
  const speaker = new Speaker({
    nodeName: o.nodeName,
    clients: clients.value,
    logger,
    metrics,
    membership: {
      secret: Buffer.from(secretText, 'utf8'),
      bindAddress: o.membershipBind,
      port: o.membershipPort,
      intervalMs: o.heartbeatIntervalMs,
      timeoutMs: o.deadAfterMs,
      stallToleranceMs: o.stallToleranceMs,
    },
    conflictProbeIntervalMs: o.conflictProbeIntervalMs,
    handoverMs: o.handoverMs,
    resyncMs: o.resyncMs,
    election: { claimGraceMs: o.claimGraceMs, staleAfterMs: o.staleAfterMs },
    defaultInterface: o.interface,
    loadBalancerClass: o.loadBalancerClass,
  });
  const ops = createOpsServer({
    host: o.metricsHost,
    port: o.metricsPort,
    registry: metrics.registry,
    isReady: () => speaker.ready(),
    isHealthy: () => ({ ok: true }),
    logger,
  });
  const controller = new AbortController();
  await ops.start();
  await speaker.start(controller.signal);
  logger.info({ metrics: `${o.metricsHost}:${o.metricsPort}` }, 'speaker started');
  await new Promise<void>((resolve) => {
    const stop = (signal: string): void => {
      logger.info({ signal }, 'stopping');
      resolve();
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
  // Shutdown is bounded: an unreachable API server must not keep a terminating pod alive.
  setTimeout(() => process.exit(0), o.handoverMs + 5000).unref();
  await speaker.shutdown();
  controller.abort();
  await ops.stop();
  await clients.value.close();
  return 0;
}

// An error out of main is unexpected: rethrown, it reaches the crash handlers (fatal log line with the
// stack, exit 1), or before they are installed Node's default (stack on stderr, exit 1).
main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    throw error;
  },
);
