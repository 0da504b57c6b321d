import { createServer, request } from "node:http";
import type { AddressInfo } from "node:net";

/** A call as it passed through a proxy. */
export interface ProxiedCall {
  method: string;
  /** Without the query string, as the sandboxes log it. */
  path: string;
  /** The `xero-tenant-id` header: the sandbox tenant called. */
  tenantId?: string;
  idempotencyKey?: string;
}

/**
 * An HTTP proxy in front of a sandbox that records each call it forwards. Give each worker process its
 * own, and the proxies tell which process made which call (the sandbox's log sees only the calls).
 */
export interface RecordingProxy {
  /** `target` with the proxy's origin: point a platform URL here. */
  url: string;
  calls: ProxiedCall[];
  close(): Promise<void>;
}

export async function startRecordingProxy(target: string): Promise<RecordingProxy> {
  const upstream = new URL(target);
  const calls: ProxiedCall[] = [];
  const server = createServer((req, res) => {
    const header = (name: string) => {
      const value = req.headers[name];
      return typeof value === "string" ? value : undefined;
    };
    const tenantId = header("xero-tenant-id");
    const idempotencyKey = header("idempotency-key");
    calls.push({
      method: req.method ?? "GET",
      path: (req.url ?? "/").split("?")[0]!,
      ...(tenantId ? { tenantId } : {}),
      ...(idempotencyKey ? { idempotencyKey } : {}),
    });
    const forward = request(
      {
        hostname: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: upstream.host },
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forward.on("error", () => res.destroy());
    // A client that goes away (a killed worker) goes away from the sandbox too.
    res.on("close", () => {
      if (!res.writableFinished) forward.destroy();
    });
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${upstream.pathname}`,
    calls,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
