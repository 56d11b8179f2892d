import { attemptWrite, type CoreV1Client, mergePatchOptions, type WriteFailure } from '@ironlb/shared/kube';
import type { Result } from '@ironlb/shared';

/** Merge-patches annotations on a Node (null removes one). Failures are values (the shared WriteFailure). */
export async function patchNodeAnnotation(args: {
  core: Pick<CoreV1Client, 'patchNode'>;
  node: string;
  annotations: Record<string, string | null>;
}): Promise<Result<null, WriteFailure>> {
  const written = await attemptWrite(() =>
    args.core.patchNode(
      { name: args.node, body: { metadata: { annotations: args.annotations } } },
      mergePatchOptions,
    ),
  );
  return written.ok ? { ok: true, value: null } : written;
}
