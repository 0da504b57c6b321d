import type { CallLogEntry } from "./call-log.ts";
import type { Failure, SandboxReply } from "./reply.ts";

/**
 * Idempotency-Key on writes, as Xero takes it: a write is applied at most once per key and tenant, and a
 * repeat gets the first answer. The repeat still counts against the caps: it reached the API.
 */

const WRITE_METHODS = new Set(["POST", "PUT", "PATCH", "DELETE"]);

interface StoredWrite {
  method: string;
  path: string;
  reply: Promise<SandboxReply>;
}

export class IdempotentWrites {
  /** By tenant, then by key. */
  private readonly tenants = new Map<string, Map<string, StoredWrite>>();
  /**
   * Off: the key is ignored and every write applied, as a platform whose contract declares no
   * Idempotency-Key (XPM v3.1) may do.
   */
  honour = true;

  constructor(private readonly failure: Failure) {}

  /**
   * Runs `apply` for a logged call unless it repeats a write's key, even while the first is still
   * running: then the first answer comes back and the entry is marked replayed. A key reused for
   * another route is a 422. A 5xx is forgotten, since nothing was applied and a retry should be.
   */
  async applyOnce(entry: CallLogEntry, apply: () => Promise<SandboxReply>): Promise<SandboxReply> {
    const { tenantId, method, path, idempotencyKey: key } = entry;
    if (!key || !WRITE_METHODS.has(method) || !this.honour) return apply();
    let writes = this.tenants.get(tenantId);
    if (!writes) {
      writes = new Map();
      this.tenants.set(tenantId, writes);
    }
    const first = writes.get(key);
    if (first && (first.method !== method || first.path !== path)) {
      return this.failure(422, `Idempotency-Key "${key}" was already used for ${first.method} ${first.path}`);
    }
    if (first) {
      entry.replayed = true;
      return first.reply;
    }
    const reply = apply();
    writes.set(key, { method, path, reply });
    const settled = await reply;
    if (settled.status >= 500) writes.delete(key);
    return settled;
  }
}
