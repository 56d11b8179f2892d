import type { V1Service } from '@kubernetes/client-node';
import { type Result, err } from '@ironlb/shared';
import {
  type CoreV1Client,
  type Limiter,
  type WriteFailure,
  attemptWrite,
  mergePatchOptions,
  patchServiceStatus,
} from '@ironlb/shared/kube';

export interface ServiceWriterDeps {
  readonly core: Pick<CoreV1Client, 'patchNamespacedServiceStatus' | 'patchNamespacedService'>;
  /** Bounds concurrent writes (shared with pool status writes). */
  readonly limiter: Limiter;
  /** Aborted when leadership ends: no write starts after that. */
  readonly signal: AbortSignal;
}

export interface ServiceTarget {
  readonly namespace: string;
  readonly name: string;
  /** Precondition: the write fails with 409 (a value) when the Service moved past this version. */
  readonly resourceVersion: string | undefined;
}

const notLeading: WriteFailure = { kind: 'error', code: undefined, message: 'not leading any more' };

/** Writes status.loadBalancer.ingress = ips (ipMode VIP); [] clears it. Only while leading. */
export async function writeIngress(
  deps: ServiceWriterDeps,
  target: ServiceTarget & { ips: readonly string[] },
): Promise<Result<V1Service, WriteFailure>> {
  return deps.limiter(async () => {
    if (deps.signal.aborted) return err(notLeading);
    return patchServiceStatus(deps.core, {
      namespace: target.namespace,
      name: target.name,
      ...(target.resourceVersion === undefined ? {} : { resourceVersion: target.resourceVersion }),
      status: { loadBalancer: { ingress: target.ips.map((ip) => ({ ip, ipMode: 'VIP' })) } },
    });
  });
}

/** Sets (value) or removes (null) one annotation with a merge patch; returns the new resourceVersion. */
export async function writeAnnotation(
  deps: ServiceWriterDeps,
  target: ServiceTarget & { annotation: string; value: string | null },
): Promise<Result<string | undefined, WriteFailure>> {
  return deps.limiter(async () => {
    if (deps.signal.aborted) return err(notLeading);
    const rv = target.resourceVersion === undefined ? {} : { resourceVersion: target.resourceVersion };
    const written = await attemptWrite(() =>
      deps.core.patchNamespacedService(
        {
          namespace: target.namespace,
          name: target.name,
          body: { metadata: { ...rv, annotations: { [target.annotation]: target.value } } },
        },
        mergePatchOptions,
      ),
    );
    return written.ok ? { ok: true, value: written.value.metadata?.resourceVersion } : written;
  });
}
