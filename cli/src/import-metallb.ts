import { parseAllDocuments } from 'yaml';
import { err, ok, type Result } from '@ironlb/shared';
import { formatDiagnostic } from './metallb/diagnostics.js';
import { renderYaml } from './metallb/render.js';
import { translate, type InputDocument } from './metallb/translate.js';

/** The I/O the command needs, injected so tests run it without files or a process. */
export interface CommandIo {
  /** Contents of `path`; `-` means stdin. Rejects when unreadable. */
  read: (path: string) => Promise<string>;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

export const EXIT_OK = 0;
export const EXIT_UNTRANSLATABLE = 1;
export const EXIT_USAGE = 2;

/**
 * `ironlb import-metallb`: all inputs are read and parsed before anything is printed, so an input
 * error (exit 2) never leaves partial YAML on stdout. Exit 1 still prints every translatable object.
 */
export async function importMetallb(o: { files: readonly string[]; io: CommandIo }): Promise<number> {
  const docs: InputDocument[] = [];
  for (const file of o.files) {
    const parsed = await readDocuments(file, o.io);
    if (!parsed.ok) {
      o.io.stderr(`error: ${parsed.error}\n`);
      return EXIT_USAGE;
    }
    docs.push(...parsed.value);
  }
  const result = translate(docs);
  for (const d of result.diagnostics) o.io.stderr(`${formatDiagnostic(d)}\n`);
  if (result.objects.length === 0 && result.diagnostics.length === 0) {
    o.io.stderr('warning: no MetalLB objects in the input\n');
  }
  o.io.stdout(renderYaml(result.objects));
  return result.diagnostics.some((d) => d.severity === 'error') ? EXIT_UNTRANSLATABLE : EXIT_OK;
}

async function readDocuments(file: string, io: CommandIo): Promise<Result<InputDocument[]>> {
  const name = file === '-' ? '<stdin>' : file;
  let text: string;
  try {
    text = await io.read(file);
  } catch (e) {
    return err(`cannot read ${name}: ${e instanceof Error ? e.message : String(e)}`);
  }
  const out: InputDocument[] = [];
  for (const [i, doc] of parseAllDocuments(text).entries()) {
    const [first] = doc.errors;
    if (first !== undefined) return err(`${name}: invalid YAML in document ${i + 1}: ${first.message}`);
    out.push({ origin: `${name}#${i + 1}`, value: doc.toJS() });
  }
  return ok(out);
}
