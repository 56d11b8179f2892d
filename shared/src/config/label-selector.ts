import type { LabelSelector, LabelSelectorRequirement, SelectorOperator } from '../types/api.js';
import { type Result, err, ok } from '../types/result.js';
import {
  type Collector,
  checkUnknown,
  isObject,
  readObject,
  readString,
  readStringSet,
  typeError,
} from './fields.js';

/** Label key: optional DNS-subdomain prefix + '/' + name (the CRD uses the same patterns). */
const LABEL_KEY_PATTERN =
  '^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$';
const LABEL_VALUE_PATTERN = '^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$';
const SELECTOR_MAX_ITEMS = 32;
const OPERATORS: readonly SelectorOperator[] = ['In', 'NotIn', 'Exists', 'DoesNotExist'];
const keyRe = new RegExp(LABEL_KEY_PATTERN);
const valueRe = new RegExp(LABEL_VALUE_PATTERN);

const selectorMessages = {
  badKey: (key: string): string => `'${key}' is not a valid label key`,
  badValue: (value: string): string =>
    `'${value}' is not a valid label value (at most 63 letters, digits, '-', '_' or '.')`,
  badOperator: (op: string): string => `operator '${op}' must be one of In, NotIn, Exists, DoesNotExist`,
  valuesRequired: 'values must be non-empty when operator is In or NotIn',
  valuesForbidden: 'values must be empty when operator is Exists or DoesNotExist',
} as const;

function checkKey(c: Collector, key: string, path: string): void {
  if (key.length > 316 || !keyRe.test(key)) c.errors.push(`${path}: ${selectorMessages.badKey(key)}`);
}

function checkValue(c: Collector, value: string, path: string): void {
  if (value.length > 63 || !valueRe.test(value))
    c.errors.push(`${path}: ${selectorMessages.badValue(value)}`);
}

function readRequirement(c: Collector, raw: unknown, path: string): LabelSelectorRequirement | undefined {
  const obj = readObject(c, raw, path);
  if (obj === undefined) return undefined;
  checkUnknown(c, { obj, path, known: ['key', 'operator', 'values'] });
  const key = readString(c, obj.key, `${path}.key`);
  const operator = readString(c, obj.operator, `${path}.operator`);
  const values = readStringSet(c, obj.values, { path: `${path}.values`, maxItems: SELECTOR_MAX_ITEMS });
  if (key === undefined) c.errors.push(`${path}.key: Required value`);
  else checkKey(c, key, `${path}.key`);
  if (operator === undefined) {
    c.errors.push(`${path}.operator: Required value`);
    return undefined;
  }
  if (!(OPERATORS as readonly string[]).includes(operator)) {
    c.errors.push(`${path}.operator: ${selectorMessages.badOperator(operator)}`);
    return undefined;
  }
  const op = operator as SelectorOperator;
  const hasValues = values !== undefined && values.length > 0;
  if ((op === 'In' || op === 'NotIn') && !hasValues)
    c.errors.push(`${path}: ${selectorMessages.valuesRequired}`);
  if ((op === 'Exists' || op === 'DoesNotExist') && hasValues) {
    c.errors.push(`${path}: ${selectorMessages.valuesForbidden}`);
  }
  values?.forEach((v, i) => {
    checkValue(c, v, `${path}.values[${i}]`);
  });
  return key === undefined ? undefined : { key, operator: op, values: values ?? [] };
}

function readMatchLabels(c: Collector, raw: unknown, path: string): Record<string, string> | undefined {
  const obj = readObject(c, raw, path);
  if (obj === undefined) return undefined;
  const out: Record<string, string> = {};
  if (Object.keys(obj).length > SELECTOR_MAX_ITEMS) {
    c.errors.push(
      `${path}: Too many: ${Object.keys(obj).length}: must have at most ${SELECTOR_MAX_ITEMS} items`,
    );
  }
  for (const [key, value] of Object.entries(obj)) {
    checkKey(c, key, path);
    if (typeof value !== 'string') {
      c.errors.push(typeError(`${path}.${key}`, 'string', value));
      continue;
    }
    checkValue(c, value, `${path}.${key}`);
    out[key] = value;
  }
  return out;
}

/** Reads a metav1.LabelSelector at `path`, appending errors; undefined when absent or malformed. */
export function readLabelSelector(c: Collector, raw: unknown, path: string): LabelSelector | undefined {
  const obj = readObject(c, raw, path);
  if (obj === undefined) return undefined;
  checkUnknown(c, { obj, path, known: ['matchLabels', 'matchExpressions'] });
  const matchLabels = readMatchLabels(c, obj.matchLabels, `${path}.matchLabels`);
  const matchExpressions: LabelSelectorRequirement[] = [];
  const rawExprs = obj.matchExpressions;
  if (Array.isArray(rawExprs)) {
    if (rawExprs.length > SELECTOR_MAX_ITEMS) {
      c.errors.push(
        `${path}.matchExpressions: Too many: ${rawExprs.length}: must have at most ${SELECTOR_MAX_ITEMS} items`,
      );
    }
    rawExprs.forEach((r, i) => {
      const req = readRequirement(c, r, `${path}.matchExpressions[${i}]`);
      if (req !== undefined) matchExpressions.push(req);
    });
  } else if (rawExprs !== undefined) {
    c.errors.push(typeError(`${path}.matchExpressions`, 'array', rawExprs));
  }
  return { matchLabels: matchLabels ?? {}, matchExpressions };
}

/** Standalone parse, e.g. for CLI flags: `parseLabelSelector({matchLabels: {a: 'b'}})`. */
export function parseLabelSelector(raw: unknown, path = 'selector'): Result<LabelSelector, string[]> {
  const c: Collector = { errors: [] };
  if (!isObject(raw)) return err([typeError(path, 'object', raw)]);
  const selector = readLabelSelector(c, raw, path);
  return c.errors.length > 0 || selector === undefined ? err(c.errors) : ok(selector);
}

function matchesRequirement(
  req: LabelSelectorRequirement,
  labels: Readonly<Record<string, string>>,
): boolean {
  const has = Object.hasOwn(labels, req.key);
  const value = labels[req.key];
  const values = req.values ?? [];
  switch (req.operator) {
    case 'In':
      return has && value !== undefined && values.includes(value);
    case 'NotIn':
      return !has || value === undefined || !values.includes(value);
    case 'Exists':
      return has;
    case 'DoesNotExist':
      return !has;
  }
}

/**
 * Kubernetes semantics: every matchLabels pair and every expression must hold (AND); an empty
 * selector `{}` matches every object. Callers decide what an absent selector means.
 */
export function matchesLabelSelector(
  selector: LabelSelector,
  labels: Readonly<Record<string, string>> | undefined,
): boolean {
  const l = labels ?? {};
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) {
    if (l[k] !== v) return false;
  }
  return (selector.matchExpressions ?? []).every((req) => matchesRequirement(req, l));
}
