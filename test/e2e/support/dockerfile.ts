import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** One instruction of a Dockerfile stage (continuations joined, ARGs substituted). */
export interface Instruction {
  readonly op: string;
  readonly args: string;
}

export interface Stage {
  readonly name: string;
  readonly from: string;
  readonly instructions: Instruction[];
}

export interface CopyInstruction {
  readonly from: string | undefined;
  readonly sources: string[];
  readonly dest: string;
}

function logicalLines(text: string): string[] {
  const joined = text.replace(/\\\n/gu, ' ');
  return joined
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
}

function substitute(text: string, args: ReadonlyMap<string, string>): string {
  return text.replace(/\$\{(\w+)\}|\$(\w+)/gu, (m, a?: string, b?: string) => args.get(a ?? b ?? '') ?? m);
}

/** Stages of a Dockerfile, with global and stage ARG defaults substituted. */
export function parseDockerfile(text: string): Stage[] {
  const args = new Map<string, string>();
  const stages: Stage[] = [];
  for (const line of logicalLines(text)) {
    const [op = '', ...rest] = line.split(/\s+/u);
    const body = rest.join(' ');
    const upper = op.toUpperCase();
    if (upper === 'ARG') {
      const [name = '', value] = body.split('=');
      if (value !== undefined) args.set(name, value);
      continue;
    }
    if (upper === 'FROM') {
      const [image = '', , alias] = substitute(body, args).split(/\s+/u);
      stages.push({ name: alias ?? String(stages.length), from: image, instructions: [] });
      continue;
    }
    stages.at(-1)?.instructions.push({ op: upper, args: substitute(body, args) });
  }
  return stages;
}

export function copyOf(i: Instruction): CopyInstruction {
  const words = i.args.split(/\s+/u);
  const from = words.find((w) => w.startsWith('--from='))?.slice('--from='.length);
  const paths = words.filter((w) => !w.startsWith('--'));
  return { from, sources: paths.slice(0, -1), dest: paths.at(-1) ?? '' };
}

interface IgnoreRule {
  readonly negated: boolean;
  readonly regex: RegExp;
}

function globToRegex(glob: string): RegExp {
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] ?? '';
    if (c === '*' && glob[i + 1] === '*') {
      out += '.*';
      i += glob[i + 2] === '/' ? 2 : 1;
    } else if (c === '*') out += '[^/]*';
    else if (c === '?') out += '[^/]';
    else out += c.replace(/[.+^${}()|[\]\\]/gu, '\\$&');
  }
  return new RegExp(`^${out}$`, 'u');
}

/**
 * .dockerignore as BuildKit applies it: rules in order, the last matching rule wins, `!` re-includes, and a
 * rule matching a directory matches everything below it.
 */
export class DockerIgnore {
  private readonly rules: IgnoreRule[];

  constructor(text: string) {
    this.rules = text
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '' && !l.startsWith('#'))
      .map((l) => {
        const negated = l.startsWith('!');
        const pattern = (negated ? l.slice(1) : l).replace(/^\/+|\/+$/gu, '');
        return { negated, regex: globToRegex(pattern) };
      });
  }

  ignores(path: string): boolean {
    const parts = path.split('/');
    const prefixes = parts.map((_, i) => parts.slice(0, i + 1).join('/'));
    let ignored = false;
    for (const rule of this.rules) {
      if (prefixes.some((p) => rule.regex.test(p))) ignored = !rule.negated;
    }
    return ignored;
  }
}

/** Files under `dir` (relative to `root`) that the context keeps. */
export function contextFiles(o: { root: string; dir: string; ignore: DockerIgnore }): string[] {
  const out: string[] = [];
  const walk = (rel: string): void => {
    for (const entry of readdirSync(join(o.root, rel), { withFileTypes: true })) {
      const child = rel === '' ? entry.name : `${rel}/${entry.name}`;
      if (entry.isDirectory()) walk(child);
      else if (!o.ignore.ignores(child)) out.push(child);
    }
  };
  if (statSync(join(o.root, o.dir)).isDirectory()) walk(o.dir);
  else if (!o.ignore.ignores(o.dir)) out.push(o.dir);
  return out;
}

/**
 * Performs a build-context COPY into `workdir` like Docker: a file source lands in the destination directory
 * (when dest ends with `/` or there are several sources) or at dest; a directory source copies its contents.
 * Only files the .dockerignore keeps are copied. Returns the sources that matched no file in the context.
 */
export function copyFromContext(o: {
  root: string;
  workdir: string;
  copy: CopyInstruction;
  ignore: DockerIgnore;
}): string[] {
  const missing: string[] = [];
  const intoDir = o.copy.dest.endsWith('/') || o.copy.sources.length > 1;
  for (const source of o.copy.sources) {
    if (!existsSync(join(o.root, source))) {
      missing.push(source);
      continue;
    }
    const files = contextFiles({ root: o.root, dir: source, ignore: o.ignore });
    if (files.length === 0) missing.push(source);
    const isDir = statSync(join(o.root, source)).isDirectory();
    for (const file of files) {
      const rel = isDir ? file.slice(source.length + 1) : basename(file);
      const target = isDir || intoDir ? join(o.workdir, o.copy.dest, rel) : join(o.workdir, o.copy.dest);
      mkdirSync(dirname(target), { recursive: true });
      cpSync(join(o.root, file), target);
    }
  }
  return missing;
}

/** The package directories a pnpm-workspace.yaml lists (plain paths only). */
export function workspacePackages(yamlText: string): string[] {
  const block = /packages:\n((?:\s+-\s+.+\n)+)/u.exec(yamlText)?.[1] ?? '';
  return [...block.matchAll(/-\s+(\S+)/gu)].map((m) => (m[1] ?? '').replace(/['"]/gu, ''));
}

export function readText(path: string): string {
  return readFileSync(path, 'utf8');
}
