import { describeApiError, mergePatchOptions } from '@ironlb/shared/kube';
import type { Result } from '@ironlb/shared';
import type { CoreV1Api } from '@kubernetes/client-node';

/** Merge-patches annotations on a Node (null removes one). Failures are values. */
export async function patchNodeAnnotation(args: {
  core: Pick<CoreV1Api, 'patchNode'>;
  node: string;
  annotations: Record<string, string | null>;
}): Promise<Result<null>> {
  try {
    await args.core.patchNode(
      { name: args.node, body: { metadata: { annotations: args.annotations } } },
      mergePatchOptions,
    );
    return { ok: true, value: null };
  } catch (error) {
    return { ok: false, error: describeApiError(error) };
  }
}
