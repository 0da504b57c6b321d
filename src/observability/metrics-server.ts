import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { metricsExposition } from "./metrics.ts";

/**
 * /metrics (and /healthz) on a port of its own, for processes without the API role (workers, the
 * scheduler), which have no other HTTP server: SYNCLINE_METRICS_PORT.
 */
export async function startMetricsServer(
  host: string,
  port: number,
): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    if (req.url === "/healthz")
      return void res.writeHead(200, { "content-type": "application/json" }).end('{"status":"ok"}');
    if (req.url !== "/metrics") return void res.writeHead(404).end();
    metricsExposition().then(
      ({ contentType, body }) => res.writeHead(200, { "content-type": contentType }).end(body),
      () => res.writeHead(500).end("metrics unavailable\n"),
    );
  });
  await new Promise<void>((resolve) => server.listen(port, host, resolve));
  const address = server.address() as AddressInfo;
  return {
    url: `http://${host === "0.0.0.0" ? "localhost" : host}:${address.port}/metrics`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
