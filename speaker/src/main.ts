#!/usr/bin/env node
// Entry point of the speaker: the only place that reads flags and the environment.
import { createOpsServer } from '@ironlb/shared/http';
import { createKubeClients } from '@ironlb/shared/kube';
import { createLogger, installCrashHandlers } from '@ironlb/shared/log';
import { waitForKeyFile } from './membership/key-file.js';
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
  const logger = createLogger({ level: o.logLevel, name: 'ironlb-speaker', base: { node: o.nodeName } });
  installCrashHandlers({ logger });
  // Installed first: a speaker still waiting for its membership key must stop at once too.
  const stopping = new AbortController();
  const stopped = new Promise<void>((resolve) => {
    const stop = (signal: string): void => {
      logger.info({ signal }, 'stopping');
      stopping.abort();
      resolve();
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
  const clients = await createKubeClients({
    kubeconfigPath: o.kubeconfig,
    // Without a kubeconfig: the in-cluster API server the kubelet names in these variables.
    inCluster: { host: process.env.KUBERNETES_SERVICE_HOST, port: process.env.KUBERNETES_SERVICE_PORT },
  });
  if (!clients.ok) {
    logger.error({ error: clients.error }, 'cannot reach Kubernetes');
    return 1;
  }
  const metrics = createSpeakerMetrics();
  // Set once the key is there; /readyz reads it.
  const started: { speaker?: Speaker } = {};
  // Up before the key is there: /healthz answers (no liveness restarts while the kubelet fills the optional
  // Secret volume), /readyz says what the speaker waits for.
  const ops = createOpsServer({
    host: o.metricsHost,
    port: o.metricsPort,
    registry: metrics.registry,
    isReady: () => started.speaker?.ready() ?? { ok: false, reason: 'waiting for the membership key' },
    isHealthy: () => ({ ok: true }),
    logger,
  });
  const metricsAddress = await ops.start();
  const key = o.membershipSecretFile
    ? await waitForKeyFile({ path: o.membershipSecretFile, logger }, stopping.signal)
    : ({ ok: true, value: process.env.IRONLB_MEMBERSHIP_SECRET ?? '' } as const);
  if (!key.ok || key.value === null || key.value.length < 16) {
    // null: stopped while waiting (exit 0); anything else is bad configuration (exit 2).
    const problem = !key.ok
      ? key.error
      : key.value === null
        ? undefined
        : 'the membership secret must be at least 16 characters';
    if (problem !== undefined) logger.error(problem);
    await ops.stop();
    await clients.value.close();
    return problem === undefined ? 0 : 2;
  }
  const secretText = key.value;
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
    election: { claimGraceMs: o.claimGraceMs, staleAfterMs: o.staleAfterMs, claimSettleMs: o.claimSettleMs },
    defaultInterface: o.interface,
    loadBalancerClass: o.loadBalancerClass,
    packetReceiveBufferBytes: o.packetReceiveBufferBytes,
    bgp: o.bgp,
  });
  started.speaker = speaker;
  // Aborted only after the handover (shutdown), so the speaker's own work outlives `stopping`.
  const controller = new AbortController();
  await speaker.start(controller.signal);
  logger.info({ metrics: metricsAddress }, 'speaker started');
  await stopped;
  // Shutdown is bounded: an unreachable API server must not keep a terminating pod alive.
  setTimeout(() => process.exit(0), o.handoverMs + 5000).unref();
  await speaker.stop();
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
