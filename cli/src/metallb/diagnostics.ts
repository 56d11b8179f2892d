/**
 * Findings of a translation. An `error` means the object it names was NOT written to the output;
 * a `warning` means it was written but something was dropped or changed on the way.
 */
export type Severity = 'error' | 'warning';

export interface Diagnostic {
  severity: Severity;
  /** What the finding is about, e.g. `pools.yaml#2 IPAddressPool metallb-system/first-pool`. */
  subject: string;
  message: string;
}

/** Collects the findings about one input object. */
export interface Findings {
  readonly subject: string;
  readonly list: Diagnostic[];
}

export function findings(subject: string): Findings {
  return { subject, list: [] };
}

export function warn(f: Findings, message: string): void {
  f.list.push({ severity: 'warning', subject: f.subject, message });
}

export function fail(f: Findings, message: string): void {
  f.list.push({ severity: 'error', subject: f.subject, message });
}

export function hasErrors(f: Findings): boolean {
  return f.list.some((d) => d.severity === 'error');
}

export function formatDiagnostic(d: Diagnostic): string {
  return `${d.severity}: ${d.subject}: ${d.message}`;
}
