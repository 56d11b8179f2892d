#!/usr/bin/env node
/**
 * ironlb controller entry point. The only place that reads flags and the environment.
 * Exit codes: 0 after SIGTERM/SIGINT, 2 for bad flags, 1 when it cannot start or meets an unexpected error.
 */
import { hostname } from 'node:os';
import { createKubeClients, withDeadline } from '@ironlb/shared/kube';
import { createOpsServer } from '@ironlb/shared/http';
import { createLogger, installCrashHandlers } from '@ironlb/shared/log';
import { createControllerMetrics } from './http/metrics.js';
import { ensureMembershipSecret } from './k8s/membership-secret.js';
import { parseFlags } from './options/flags.js';
import { Controller } from './reconciler/controller.js';

async function main(): Promise<number> {
  const parsed = parseFlags(process.argv.slice(2), {
    KUBECONFIG: process.env.KUBECONFIG,
    POD_NAME: process.env.POD_NAME,
    POD_NAMESPACE: process.env.POD_NAMESPACE,
    fallbackIdentity: `${hostname()}_${process.pid}`,
  });
  if (!parsed.ok) {
    process.stderr.write(`ironlb-controller: ${parsed.error}\n(see --help)\n`);
    return 2;
  }
  if (parsed.value.kind === 'help') {
    process.stdout.write(parsed.value.text);
    return 0;
  }
  const o = parsed.value.options;
  const logger = createLogger({
    name: 'ironlb-controller',
    level: o.logLevel,
    base: { identity: o.identity },
  });
  installCrashHandlers({ logger });
  const clients = await createKubeClients({
    kubeconfigPath: o.kubeconfig,
    // Without a kubeconfig: the in-cluster API server the kubelet names in these variables.
    inCluster: { host: process.env.KUBERNETES_SERVICE_HOST, port: process.env.KUBERNETES_SERVICE_PORT },
    maxSockets: o.workers,
  });
  if (!clients.ok) {
    logger.fatal({ err: clients.error }, 'cannot create Kubernetes clients');
    return 1;
  }
  const metrics = createControllerMetrics();
  const controller = new Controller({
    clients: clients.value,
    logger,
    metrics,
    loadBalancerClass: o.loadBalancerClass,
    identity: o.identity,
    workers: o.workers,
    serviceLabelSelector: o.serviceLabelSelector,
    election: o.leaderElect
      ? {
          namespace: o.leaseNamespace,
          name: o.leaseName,
          leaseDurationSeconds: o.leaseDurationSeconds,
          renewDeadlineMs: o.renewDeadlineMs,
          retryPeriodMs: o.retryPeriodMs,
        }
      : undefined,
  });
  const ops = createOpsServer({
    host: o.metricsHost,
    port: o.metricsPort,
    registry: metrics.registry,
    isHealthy: () => ({ ok: true }),
    isReady: () => controller.ready(),
    logger,
  });
  try {
    const address = await ops.start();
    logger.info({ address }, 'ops server listening');
  } catch (error) {
    logger.fatal({ err: error }, 'cannot listen for /healthz /readyz /metrics');
    await clients.value.close();
    return 1;
  }
  const stop = new AbortController();
  const done = new Promise<void>((resolve) => {
    const onSignal = (sig: NodeJS.Signals): void => {
      logger.info({ signal: sig }, 'stopping');
      stop.abort();
      resolve();
    };
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
  });
  logger.info(
    {
      class: o.loadBalancerClass ?? '(unset only)',
      leaderElect: o.leaderElect,
      lease: `${o.leaseNamespace}/${o.leaseName}`,
    },
    'starting',
  );
  controller.start(stop.signal);
  // Every replica, leader or not: create-only, and 409 (made by another replica or an older chart) is success.
  const secret = o.membershipSecret;
  const membershipSecret =
    secret === undefined
      ? undefined
      : ensureMembershipSecret(
          { core: clients.value.core, ...secret, logger: logger.child({ component: 'membership-secret' }) },
          stop.signal,
        );
  await done;
  // A create still in flight (API unreachable) must not hold up the exit.
  if (membershipSecret !== undefined)
    await withDeadline(membershipSecret, { ms: 2_000, fallback: 'stopped' });
  await controller.stop();
  await ops.stop();
  await clients.value.close();
  logger.flush();
  return 0;
}

// An error out of main is unexpected: rethrown, it reaches the crash handlers (fatal log line with the
// stack, exit 1), or before they are installed Node's default (stack on stderr, exit 1).
main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    throw error;
  },
);
