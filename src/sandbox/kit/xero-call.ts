import type { IncomingMessage } from "node:http";
import { requestHeader } from "./http.ts";
import type { SandboxReply } from "./reply.ts";
import type { SandboxContext, TenantCall } from "./server.ts";

/**
 * Accepts a call the way both of Xero's APIs (XPM, Accounting) take it: a Bearer token, the tenant in the
 * `xero-tenant-id` header, Idempotency-Key on writes. For a tenant the sandbox identity server governs
 * (`context.identity`), the token must be one of its live access tokens reaching that tenant (else 401,
 * or 403 AuthenticationUnsuccessful); any other tenant takes any Bearer token.
 */
export function acceptXeroCall<Data>(
  req: IncomingMessage,
  context: SandboxContext<Data>,
  path: string,
  answer: (data: Data, method: string, body: string) => SandboxReply,
): TenantCall | SandboxReply {
  const { tenants, failure } = context;
  if (!/^Bearer\s+\S+/i.test(req.headers.authorization ?? "")) {
    return failure(401, "Missing or malformed Authorization: Bearer token");
  }
  const tenantId = requestHeader(req, "xero-tenant-id");
  const data = tenantId ? tenants.get(tenantId) : undefined;
  if (!tenantId || !data) return failure(403, `Unknown or missing xero-tenant-id "${tenantId ?? ""}"`);
  const identity = context.identity;
  if (identity?.governs(tenantId)) {
    const token = (req.headers.authorization ?? "").replace(/^Bearer\s+/i, "").trim();
    const verdict = identity.check(token, tenantId);
    if (!verdict.ok) {
      const refused = failure(verdict.status, verdict.detail);
      return verdict.status === 401
        ? { ...refused, headers: { ...refused.headers, "www-authenticate": 'Bearer error="invalid_token"' } }
        : refused;
    }
  }
  return {
    tenantId,
    path,
    idempotencyKey: requestHeader(req, "idempotency-key"),
    answer: (method, body) => answer(data, method, body),
  };
}
