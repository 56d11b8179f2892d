import { randomInt } from 'node:crypto';
import type { V1Secret } from '@kubernetes/client-node';
import {
  attemptWrite,
  backoffDelay,
  type BackoffOptions,
  type CoreV1Client,
  sleep,
} from '@ironlb/shared/kube';
import type { Logger } from 'pino';

/** The data key speakers read (the chart mounts it as the file `secretKey`). */
export const MEMBERSHIP_SECRET_KEY = 'secretKey';
const KEY_LENGTH = 64;
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** 64 characters from [A-Za-z0-9], each drawn uniformly with the CSPRNG (about 381 bits). */
export function newMembershipKey(): string {
  let key = '';
  for (let i = 0; i < KEY_LENGTH; i++) key += ALPHABET.charAt(randomInt(ALPHABET.length));
  return key;
}

export interface MembershipSecretOptions {
  readonly core: Pick<CoreV1Client, 'createNamespacedSecret'>;
  readonly namespace: string;
  readonly name: string;
  readonly logger: Logger;
  /** Pause between failed attempts (default 1 s doubling to 30 s, 20 % jitter). */
  readonly retry?: BackoffOptions;
  /** Key source (tests pass a fixed one); default newMembershipKey. */
  readonly newKey?: () => string;
}

/** 'created': this call made the Secret; 'exists': it was there already (kept as is); 'stopped': aborted. */
export type MembershipSecretOutcome = 'created' | 'exists' | 'stopped';

const DEFAULT_RETRY: BackoffOptions = { baseMs: 1_000, maxMs: 30_000, jitter: 0.2 };

function secretBody(o: MembershipSecretOptions, key: string): V1Secret {
  return {
    metadata: {
      name: o.name,
      namespace: o.namespace,
      labels: {
        'app.kubernetes.io/name': 'ironlb',
        'app.kubernetes.io/component': 'speaker',
        'app.kubernetes.io/part-of': 'ironlb',
        'app.kubernetes.io/managed-by': 'ironlb-controller',
      },
      annotations: {
        'ironlb.io/description':
          'HMAC key of the speakers’ membership heartbeats; created once by the controller, never rewritten. ' +
          'Delete it only together with a restart of every speaker.',
      },
    },
    type: 'Opaque',
    stringData: { [MEMBERSHIP_SECRET_KEY]: key },
  };
}

/**
 * Makes sure the speakers' membership Secret exists, without ever reading or overwriting one.
 * Invariants: the only request is a create (POST); 409 AlreadyExists means another replica, an older chart
 * (which rendered the Secret) or the user made it, and that Secret is kept byte for byte; any other failure
 * (403, 5xx, no connection) is logged and retried with backoff until success or `signal` aborts. So every
 * replica may call this at start: exactly one create succeeds and all others see 409.
 */
export async function ensureMembershipSecret(
  o: MembershipSecretOptions,
  signal: AbortSignal,
): Promise<MembershipSecretOutcome> {
  const where = { secret: `${o.namespace}/${o.name}` };
  for (let attempt = 0; !signal.aborted; attempt++) {
    const created = await attemptWrite(() =>
      o.core.createNamespacedSecret({
        namespace: o.namespace,
        body: secretBody(o, (o.newKey ?? newMembershipKey)()),
      }),
    );
    if (created.ok) {
      o.logger.info(where, 'membership secret created (speakers read it from their volume)');
      return 'created';
    }
    if (created.error.code === 409) {
      o.logger.info(where, 'membership secret exists; keeping its key');
      return 'exists';
    }
    const delayMs = backoffDelay(o.retry ?? DEFAULT_RETRY, attempt);
    o.logger.warn(
      { ...where, error: created.error.message, retryInMs: Math.round(delayMs) },
      'cannot create the membership secret; speakers wait for it',
    );
    await sleep(delayMs, signal);
  }
  return 'stopped';
}
