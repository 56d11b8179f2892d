import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** Writes a self-contained kubeconfig (certificates embedded) for the client certificate `<pkiDir>/<name>.crt`. */
export function writeKubeconfig(options: {
  path: string;
  server: string;
  pkiDir: string;
  name: string;
}): void {
  const b64 = (file: string): string => readFileSync(join(options.pkiDir, file)).toString('base64');
  const text = [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- name: ironlb-lab',
    '  cluster:',
    `    server: ${options.server}`,
    `    certificate-authority-data: ${b64('ca.crt')}`,
    'users:',
    `- name: ${options.name}`,
    '  user:',
    `    client-certificate-data: ${b64(`${options.name}.crt`)}`,
    `    client-key-data: ${b64(`${options.name}.key`)}`,
    'contexts:',
    '- name: ironlb-lab',
    '  context:',
    '    cluster: ironlb-lab',
    `    user: ${options.name}`,
    'current-context: ironlb-lab',
    '',
  ].join('\n');
  mkdirSync(dirname(options.path), { recursive: true });
  writeFileSync(options.path, text, { mode: 0o600 });
}
