/** Command-line grammar of `ironlb`. Pure: main.ts passes process.argv in. */

export type Command =
  | { kind: 'help'; text: string }
  | { kind: 'import-metallb'; files: string[] }
  | { kind: 'usage-error'; message: string };

export const USAGE = `Usage: ironlb <command> [options]

Commands:
  import-metallb [files...]   Translate MetalLB configuration to ironlb objects

Run "ironlb <command> --help" for a command's options.
`;

export const IMPORT_METALLB_USAGE = `Usage: ironlb import-metallb [--help] [files...]

Reads MetalLB configuration (YAML, several documents per file allowed; "-" or no file = stdin):
  IPAddressPool          -> IPPool (cluster-scoped, same name and labels)
  L2Advertisement        -> L2Announcement (several when ORed selector lists cannot be merged)
  AddressPool (layer2), legacy "config" ConfigMap (layer2 pools) -> IPPool + L2Announcement
  BGPPeer (v1beta1, v1beta2), BGPAdvertisement, BFDProfile -> the ironlb kinds of the same names
  Community              -> none: its aliases are replaced by their values in BGPAdvertisements
  bgp pools and peers of the legacy ConfigMap / AddressPool -> error (convert them to MetalLB CRDs first)
and prints the ironlb objects as multi-document YAML on stdout. Warnings and errors go to stderr.

Exit status:
  0  every MetalLB object was translated (warnings may have been printed)
  1  some objects were not translatable (see stderr); all the others are printed
  2  usage error, unreadable file or invalid YAML (nothing is printed on stdout)
`;

/** `argv` without the node binary and script path. */
export function parseCommandLine(argv: readonly string[]): Command {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    return { kind: 'help', text: USAGE };
  }
  if (command !== 'import-metallb') return { kind: 'usage-error', message: `unknown command "${command}"` };
  if (rest.includes('--help') || rest.includes('-h')) return { kind: 'help', text: IMPORT_METALLB_USAGE };
  const files: string[] = [];
  for (const arg of rest) {
    if (arg === '--') continue;
    if (arg.startsWith('-') && arg !== '-')
      return { kind: 'usage-error', message: `unknown option "${arg}"` };
    files.push(arg);
  }
  return { kind: 'import-metallb', files: files.length === 0 ? ['-'] : files };
}
