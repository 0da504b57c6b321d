import type { IncomingMessage } from "node:http";
import { requestHeader } from "./http.ts";
import type { SandboxReply } from "./reply.ts";
import type { SandboxContext, TenantCall } from "./server.ts";

/**
 * Accepts a call the way both of Xero's APIs (XPM, Accounting) take it: any Bearer token, the tenant in
 * the `xero-tenant-id` header, Idempotency-Key on writes.
 */
export function acceptXeroCall<Data>(
  req: IncomingMessage,
  { tenants, failure }: SandboxContext<Data>,
  path: string,
  answer: (data: Data, method: string, body: string) => SandboxReply,
): TenantCall | SandboxReply {
  if (!/^Bearer\s+\S+/i.test(req.headers.authorization ?? "")) {
    return failure(401, "Missing or malformed Authorization: Bearer token");
  }
  const tenantId = requestHeader(req, "xero-tenant-id");
  const data = tenantId ? tenants.get(tenantId) : undefined;
  if (!tenantId || !data) return failure(403, `Unknown or missing xero-tenant-id "${tenantId ?? ""}"`);
  return {
    tenantId,
    path,
    idempotencyKey: requestHeader(req, "idempotency-key"),
    answer: (method, body) => answer(data, method, body),
  };
}
