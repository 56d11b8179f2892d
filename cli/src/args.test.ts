import { describe, expect, it } from 'vitest';
import { IMPORT_METALLB_USAGE, parseCommandLine, USAGE } from './args.js';

describe('parseCommandLine', () => {
  it.each([[[]], [['--help']], [['-h']], [['help']]])('%j prints the top-level usage', (argv) => {
    expect(parseCommandLine(argv)).toEqual({ kind: 'help', text: USAGE });
  });

  it('import-metallb --help prints the command usage', () => {
    expect(parseCommandLine(['import-metallb', 'a.yaml', '--help'])).toEqual({
      kind: 'help',
      text: IMPORT_METALLB_USAGE,
    });
  });

  it('reads stdin without files and keeps "-" and files in order', () => {
    expect(parseCommandLine(['import-metallb'])).toEqual({ kind: 'import-metallb', files: ['-'] });
    expect(parseCommandLine(['import-metallb', 'a.yaml', '-', '--', 'b.yaml'])).toEqual({
      kind: 'import-metallb',
      files: ['a.yaml', '-', 'b.yaml'],
    });
  });

  it('rejects unknown commands and options', () => {
    expect(parseCommandLine(['import-calico'])).toEqual({
      kind: 'usage-error',
      message: 'unknown command "import-calico"',
    });
    expect(parseCommandLine(['import-metallb', '--bgp'])).toEqual({
      kind: 'usage-error',
      message: 'unknown option "--bgp"',
    });
  });
});
