/**
 * Tiny structural readers for plain JSON objects. Every helper appends messages worded like the
 * API server's schema errors (`<path>: Required value`, `must be of type boolean`, `unknown field`)
 * so the TypeScript parser and the CRD reject the same things with the same words.
 */
export type Json = Record<string, unknown>;

export interface Collector {
  readonly errors: string[];
}

export function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function typeName(value: unknown): string {
  if (Array.isArray(value)) return 'array';
  if (value === null) return 'null';
  return typeof value === 'number' ? (Number.isInteger(value) ? 'integer' : 'number') : typeof value;
}

export function typeError(path: string, expected: string, value: unknown): string {
  return `${path}: Invalid value: "${typeName(value)}": ${path} in body must be of type ${expected}: "${typeName(value)}"`;
}

/** Reports fields not declared in the schema (the API server rejects them under strict validation). */
export function checkUnknown(
  c: Collector,
  opts: { obj: Json; path: string; known: readonly string[] },
): void {
  for (const key of Object.keys(opts.obj)) {
    if (!opts.known.includes(key)) c.errors.push(`${opts.path}.${key}: unknown field "${opts.path}.${key}"`);
  }
}

export function readObject(c: Collector, value: unknown, path: string): Json | undefined {
  if (value === undefined) return undefined;
  if (isObject(value)) return value;
  c.errors.push(typeError(path, 'object', value));
  return undefined;
}

export function readBoolean(c: Collector, value: unknown, path: string): boolean | undefined {
  if (value === undefined || typeof value === 'boolean') return value;
  c.errors.push(typeError(path, 'boolean', value));
  return undefined;
}

export function readInteger(c: Collector, value: unknown, path: string): number | undefined {
  if (value === undefined || (typeof value === 'number' && Number.isInteger(value))) return value;
  c.errors.push(typeError(path, 'integer', value));
  return undefined;
}

export function readString(c: Collector, value: unknown, path: string): string | undefined {
  if (value === undefined || typeof value === 'string') return value;
  c.errors.push(typeError(path, 'string', value));
  return undefined;
}

/**
 * A list of strings with `maxItems` and `x-kubernetes-list-type: set` semantics: duplicates (by exact
 * string) are reported like the API server does. Non-string items are reported and dropped.
 */
export function readStringSet(
  c: Collector,
  value: unknown,
  opts: { path: string; maxItems: number },
): string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value)) {
    c.errors.push(typeError(opts.path, 'array', value));
    return undefined;
  }
  if (value.length > opts.maxItems) {
    c.errors.push(`${opts.path}: Too many: ${value.length}: must have at most ${opts.maxItems} items`);
  }
  const seen = new Set<string>();
  const out: string[] = [];
  for (const [i, item] of value.entries()) {
    const s = readString(c, item, `${opts.path}[${i}]`);
    if (s === undefined) continue;
    if (seen.has(s)) c.errors.push(`${opts.path}[${i}]: Duplicate value: "${s}"`);
    seen.add(s);
    out.push(s);
  }
  return out;
}
