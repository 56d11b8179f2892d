import { type Result, type SecretKeyRef, err, ok } from '@ironlb/shared';

/**
 * What this speaker knows about one password Secret (`BGPPeer.spec.passwordSecret.name` in ironlb's namespace).
 * `values` holds only the keys some BGPPeer names, decoded as UTF-8.
 */
export type PasswordSecretState =
  | { kind: 'loading' }
  | { kind: 'unreadable' }
  | { kind: 'absent' }
  | { kind: 'present'; values: Readonly<Record<string, string>> };

export type PasswordProblemReason =
  'PasswordSecretUnreadable' | 'PasswordSecretNotFound' | 'PasswordKeyNotFound' | 'PasswordInvalid';

export interface PasswordProblem {
  reason: PasswordProblemReason;
  /** For people; never contains the password. */
  message: string;
}

/** `loading`: the Secret has not been read yet; the peer waits (nothing is decided, nothing is reported). */
export type PasswordVerdict = Result<string | undefined, PasswordProblem | 'loading'>;

/**
 * TCP MD5 keys are at most 80 bytes (Linux TCP_MD5SIG_MAXKEYLEN); FRR's `neighbor … password` takes one word.
 * So: 1-80 printable ASCII characters, no white space.
 */
const PASSWORD = /^[\x21-\x7e]{1,80}$/;

/**
 * The TCP MD5 password of a peer: undefined when the peer names no Secret, the key's value when it is a valid
 * password, else why the peer cannot be configured.
 *
 * Invariant: a peer that names a Secret never gets a session without that Secret's valid value (no fallback to
 * "no password" and no partial value); the problem message names the Secret and the key, never the value.
 */
export function peerPassword(args: {
  ref: SecretKeyRef | undefined;
  namespace: string;
  secret: PasswordSecretState;
}): PasswordVerdict {
  const { ref, namespace, secret } = args;
  if (ref === undefined) return ok(undefined);
  const where = `Secret ${namespace}/${ref.name}`;
  switch (secret.kind) {
    case 'loading':
      return err('loading');
    case 'unreadable':
      return err({
        reason: 'PasswordSecretUnreadable',
        message: `cannot read ${where} (see the speaker's log; RBAC: list and watch Secrets in ${namespace})`,
      });
    case 'absent':
      return err({ reason: 'PasswordSecretNotFound', message: `${where} not found` });
    case 'present': {
      const value = secret.values[ref.key];
      if (value === undefined)
        return err({ reason: 'PasswordKeyNotFound', message: `${where} has no key '${ref.key}'` });
      if (!PASSWORD.test(value))
        return err({
          reason: 'PasswordInvalid',
          message:
            `${where} key '${ref.key}' is not a valid TCP MD5 password: 1-80 printable ASCII characters ` +
            'without spaces or line breaks (a file read with --from-file often ends in a newline)',
        });
      return ok(value);
    }
  }
}

/** The Secrets the peers name, each with the keys read from it. */
export function wantedPasswordSecrets(
  peers: readonly { readonly passwordSecret: SecretKeyRef | undefined }[],
): Map<string, Set<string>> {
  const wanted = new Map<string, Set<string>>();
  for (const { passwordSecret: ref } of peers) {
    if (ref === undefined) continue;
    const keys = wanted.get(ref.name) ?? new Set<string>();
    keys.add(ref.key);
    wanted.set(ref.name, keys);
  }
  return wanted;
}
