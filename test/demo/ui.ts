/** Progress output of the demo: numbered steps, indented details. */
const bold = (s: string): string => (process.stdout.isTTY ? `\u001b[1m${s}\u001b[0m` : s);
const green = (s: string): string => (process.stdout.isTTY ? `\u001b[32m${s}\u001b[0m` : s);

let step = 0;
export const TOTAL_STEPS = 8;

export function heading(text: string): void {
  step += 1;
  process.stdout.write(`\n${bold(`[${step}/${TOTAL_STEPS}] ${text}`)}\n`);
}

export function detail(text: string): void {
  for (const line of text.replace(/\n$/, '').split('\n')) process.stdout.write(`    ${line}\n`);
}

export function success(text: string): void {
  process.stdout.write(`    ${green('✔')} ${text}\n`);
}
