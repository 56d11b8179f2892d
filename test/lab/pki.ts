import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from './exec.js';

/**
 * The lab PKI, generated with openssl (EC P-256: fast to generate). One CA signs the apiserver serving certificate
 * and every client certificate; the service-account key pair signs ServiceAccount tokens.
 */
export interface ClientIdentity {
  /** File stem: `<name>.crt` / `<name>.key`. */
  readonly name: string;
  readonly commonName: string;
  readonly organization?: string;
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

async function ensureCa(dir: string): Promise<void> {
  if (existsSync(join(dir, 'ca.crt'))) return;
  await run('openssl', [
    'req',
    '-x509',
    ...EC,
    '-days',
    '3650',
    '-subj',
    '/CN=ironlb-lab-ca',
    '-keyout',
    join(dir, 'ca.key'),
    '-out',
    join(dir, 'ca.crt'),
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign,digitalSignature',
  ]);
}

async function ensureSigned(options: {
  dir: string;
  name: string;
  subject: string;
  extensions: string;
}): Promise<void> {
  const { dir, name } = options;
  if (existsSync(join(dir, `${name}.crt`))) return;
  const ext = join(dir, `${name}.ext`);
  writeFileSync(ext, options.extensions);
  const csr = join(dir, `${name}.csr`);
  await run('openssl', [
    'req',
    '-new',
    ...EC,
    '-subj',
    options.subject,
    '-keyout',
    join(dir, `${name}.key`),
    '-out',
    csr,
  ]);
  await run('openssl', [
    'x509',
    '-req',
    '-in',
    csr,
    '-CA',
    join(dir, 'ca.crt'),
    '-CAkey',
    join(dir, 'ca.key'),
    '-set_serial',
    `0x${Date.now().toString(16)}${Math.floor(Math.random() * 1e6).toString(16)}`,
    '-days',
    '3650',
    '-extfile',
    ext,
    '-out',
    join(dir, `${name}.crt`),
  ]);
}

async function ensureServiceAccountKey(dir: string): Promise<void> {
  if (existsSync(join(dir, 'sa.pub'))) return;
  await run('openssl', ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', join(dir, 'sa.key')]);
  await run('openssl', ['ec', '-in', join(dir, 'sa.key'), '-pubout', '-out', join(dir, 'sa.pub')]);
}

/** Creates (once) the CA, the apiserver certificate for `serverSans`, the client certificates and the SA key. */
export async function ensurePki(options: {
  dir: string;
  serverSans: readonly string[];
  clients: readonly ClientIdentity[];
}): Promise<void> {
  const { dir } = options;
  mkdirSync(dir, { recursive: true });
  await Promise.all([ensureCa(dir), ensureServiceAccountKey(dir)]);
  const client =
    'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n';
  await Promise.all([
    ensureSigned({
      dir,
      name: 'apiserver',
      subject: '/CN=kube-apiserver',
      extensions:
        'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n' +
        `subjectAltName=${options.serverSans.join(',')}\n`,
    }),
    ...options.clients.map((c) =>
      ensureSigned({
        dir,
        name: c.name,
        subject: `${c.organization ? `/O=${c.organization}` : ''}/CN=${c.commonName}`,
        extensions: client,
      }),
    ),
  ]);
}
