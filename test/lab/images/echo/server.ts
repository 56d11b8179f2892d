/**
 * The real-node lab's echo workload (image built by test/lab/scripts/build-images.sh, run with Node 24's type
 * stripping: `node server.ts`). Answers every HTTP request with "<pod> <node>\n" from the downward-API variables
 * POD_NAME and NODE_NAME; PORT (default 8080) is the listening port. It runs as PID 1, so it handles SIGTERM itself.
 */
import { createServer } from 'node:http';

const pod = process.env.POD_NAME ?? 'unknown-pod';
const node = process.env.NODE_NAME ?? 'unknown-node';
const port = Number(process.env.PORT ?? '8080');

const server = createServer((_req, res) => {
  res.setHeader('content-type', 'text/plain');
  res.end(`${pod} ${node}\n`);
});
server.listen(port, () => {
  process.stdout.write(`echo: ${pod} on ${node} listening on ${port}\n`);
});
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    server.close();
    process.exit(0);
  });
}
