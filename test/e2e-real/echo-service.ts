/**
 * One echo Deployment (a pod per node) behind a LoadBalancer Service with externalTrafficPolicy Cluster, served
 * from the suite's own IPPool and L2Announcement: the workload the e2e-real disruption suites keep a client on.
 * Each suite passes its own pool name and range (no two e2e-real files share one).
 */
import {
  apply,
  createTestNamespace,
  deleteObjects,
  labNodes,
  type TestNamespace,
} from '../e2e/support/index.js';
import {
  echoDeployment,
  externalIp,
  firstEchoAnswer,
  lbService,
  poolWithL2Announcement,
  rolloutStatus,
} from './support.js';

export interface EchoService {
  readonly namespace: string;
  readonly name: string;
  /** The Service's EXTERNAL-IP once a real pod answered the client there. */
  readonly ip: string;
  cleanup(): Promise<void>;
}

export async function setUpEchoService(o: {
  pool: string;
  range: string;
  name: string;
}): Promise<EchoService> {
  await apply(poolWithL2Announcement({ pool: o.pool, addresses: [o.range] }));
  let ns: TestNamespace | undefined;
  const cleanup = async (): Promise<void> => {
    await ns?.cleanup();
    await deleteObjects('l2announcements.ironlb.io', [o.pool]);
    await deleteObjects('ippools.ironlb.io', [o.pool]);
  };
  try {
    ns = await createTestNamespace(o.pool);
    const namespace = ns.name;
    await apply(echoDeployment({ namespace, name: o.name, replicas: labNodes().length }));
    await apply(lbService({ namespace, name: o.name, policy: 'Cluster' }));
    await rolloutStatus({ namespace, workload: `deployment/${o.name}` });
    const ip = await externalIp({ namespace, name: o.name });
    await firstEchoAnswer(ip);
    return { namespace, name: o.name, ip, cleanup };
  } catch (error) {
    await cleanup();
    throw error;
  }
}
