import { labConfig } from '../../lab/config.js';
import type { HttpGetResult } from '../../lab/http-get.js';
import { httpGetInNetns, urlFor } from '../../lab/http-get.js';

export type { HttpGetResult };

/**
 * HTTP GET `http://<ip>:<port>/` from the lab client namespace (never from the root namespace: there the lab's
 * addresses would leave through the machine's real uplink). Default timeout 2 s; failures are values.
 */
export function httpGetFromClient(options: {
  ip: string;
  port?: number;
  timeoutMs?: number;
}): Promise<HttpGetResult> {
  const config = labConfig();
  return httpGetInNetns({
    netns: config.client.netns,
    url: urlFor(options.ip, options.port ?? config.responderPort),
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
  });
}
