/**
 * The last step of `pnpm test:e2e-real` (run.sh), after every e2e-real file has run: prints
 * `kubectl get pods -A -o wide` into the log and exits non-zero, with one `Error:` line per problem, when
 *
 * - an ironlb pod is not Running and Ready, has restarted, or was OOM-killed (podProblems of support.ts);
 * - the release does not run 2 controller pods and one speaker pod per lab node;
 * - any pod of the lab, ironlb's or not, was OOM-killed.
 *
 * Run inside the e2e-real sandbox with the lab's environment (run.sh does), through tsx.
 */
import type { V1Pod } from '@kubernetes/client-node';
import { RELEASE_NAMESPACE } from '../lab/real/helm-install.js';
import { kubeClients, kubectl, labNodes } from '../e2e/support/index.js';
import { component, podProblems } from './support.js';

const CONTROLLER_REPLICAS = 2;

function oomKilled(pod: V1Pod): string[] {
  const name = `${pod.metadata?.namespace}/${pod.metadata?.name}`;
  return (pod.status?.containerStatuses ?? [])
    .filter((c) => [c.state?.terminated?.reason, c.lastState?.terminated?.reason].includes('OOMKilled'))
    .map((c) => `${name}/${c.name}: OOMKilled`);
}

/** Everything wrong with the lab's pods at the end of the suite (empty: healthy). */
function suiteEndProblems(all: readonly V1Pod[], nodeCount: number): string[] {
  const ironlb = all.filter((p) => p.metadata?.namespace === RELEASE_NAMESPACE);
  const count = (c: string): number => ironlb.filter((p) => component(p) === c).length;
  const problems = ironlb.flatMap(podProblems);
  if (count('controller') !== CONTROLLER_REPLICAS)
    problems.push(`${count('controller')} controller pods, expected ${CONTROLLER_REPLICAS}`);
  if (count('speaker') !== nodeCount)
    problems.push(`${count('speaker')} speaker pods, expected ${nodeCount}`);
  const others = all.filter((p) => p.metadata?.namespace !== RELEASE_NAMESPACE);
  return [...problems, ...others.flatMap(oomKilled)];
}

async function main(): Promise<number> {
  console.log(
    `$ kubectl get pods -A -o wide\n${(await kubectl(['get', 'pods', '-A', '-o', 'wide'])).trimEnd()}`,
  );
  const pods = (await kubeClients().core.listPodForAllNamespaces()).items;
  const problems = suiteEndProblems(pods, labNodes().length);
  for (const p of problems) console.error(`Error: after the e2e-real suite: ${p}`);
  if (problems.length === 0)
    console.log('every ironlb pod Running and Ready, 0 restarts; no pod of the lab OOMKilled');
  return problems.length === 0 ? 0 : 1;
}

process.exitCode = await main();
