import { createHash } from "node:crypto";
import { createInterface } from "node:readline";
import { loadConfig } from "../../src/config.ts";
import { createConnections } from "../../src/connections/index.ts";
import { openDatabase } from "../../src/db/client.ts";
import { callProvider } from "../../src/platforms/http.ts";
import { createRedisClient } from "../../src/redis/client.ts";

/**
 * A process of its own that needs an integration's token for many calls at once, through syncline's own
 * credentials (src/connections), as a worker's call slots do: run with `node --import tsx`, the test app's
 * environment, RACE_INTEGRATION_ID and RACE_CALLS. It says "ready", waits for "go <epoch ms>" on stdin,
 * then at that moment takes a token for each of its calls and makes the call (an XPM staff list) with it,
 * and prints one JSON line: each call's outcome, HTTP status and a hash of the token it carried.
 */
const config = loadConfig();
const db = await openDatabase(config.database);
const redis = createRedisClient(config.redis.url, "racer");
const connections = createConnections({ prisma: db.prisma, redis, config, publish: () => {} });
const integration = await db.prisma.integration.findUniqueOrThrow({
  where: { id: process.env.RACE_INTEGRATION_ID! },
});
const calls = Number(process.env.RACE_CALLS ?? 25);
const hash = (token: string) => createHash("sha256").update(token).digest("hex").slice(0, 16);

const lines = createInterface({ input: process.stdin });
console.log("ready");
const at = await new Promise<number>((resolve) =>
  lines.on("line", (line) => {
    if (line.startsWith("go ")) resolve(Number(line.slice(3)));
  }),
);
await new Promise((resolve) => setTimeout(resolve, Math.max(0, at - Date.now())));
const results = await Promise.all(
  Array.from({ length: calls }, async () => {
    const credential = await connections.credentials.accessTokenFor(integration);
    if (credential.kind !== "token") return { kind: credential.kind, status: null, token: null };
    const outcome = await callProvider(
      {
        platform: integration.platform,
        baseUrl: config.platformUrls[integration.platform],
        method: "GET",
        path: "v3.1/staff.api/list",
        accessToken: credential.token,
        remoteTenantId: integration.remoteTenantId,
        timeoutMs: config.engine.callTimeoutMs,
      },
      config.time,
    );
    return {
      kind: outcome.kind,
      status: "status" in outcome ? outcome.status : null,
      token: hash(credential.token),
    };
  }),
);
console.log(JSON.stringify(results));
lines.close();
await redis.quit();
await db.close();
process.exit(0);
