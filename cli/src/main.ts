#!/usr/bin/env node
import { readFile } from 'node:fs/promises';
import { text } from 'node:stream/consumers';
import { parseCommandLine } from './args.js';
import { EXIT_OK, EXIT_USAGE, importMetallb, type CommandIo } from './import-metallb.js';

/** `ironlb` entry point: the only place that touches process.argv, stdio and the exit code. */
async function main(): Promise<number> {
  const command = parseCommandLine(process.argv.slice(2));
  switch (command.kind) {
    case 'help':
      process.stdout.write(command.text);
      return EXIT_OK;
    case 'usage-error':
      process.stderr.write(`ironlb: ${command.message}\nRun "ironlb --help" for usage.\n`);
      return EXIT_USAGE;
    case 'import-metallb': {
      const io: CommandIo = {
        read: (path) => (path === '-' ? text(process.stdin) : readFile(path, 'utf8')),
        stdout: (s) => process.stdout.write(s),
        stderr: (s) => process.stderr.write(s),
      };
      return importMetallb({ files: command.files, io });
    }
  }
}

process.exitCode = await main();
